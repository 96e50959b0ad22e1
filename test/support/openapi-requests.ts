import { randomUUID } from 'node:crypto';

/** The parts of an OpenAPI 3.1 document the generated tests walk. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonSchema>; securitySchemes?: Record<string, unknown> };
}

export interface OpenApiOperation {
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; schema?: JsonSchema }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> }>;
}

export type JsonSchema = Record<string, unknown>;

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export function operationsOf(doc: OpenApiDocument) {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => (HTTP_METHODS as readonly string[]).includes(method))
      .map(([method, operation]) => ({ path, method, operation })),
  );
}

export function resolve(doc: OpenApiDocument, schema: JsonSchema): JsonSchema {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const name = ref.replace('#/components/schemas/', '');
  const target = doc.components?.schemas?.[name];
  if (!target) throw new Error(`unresolved $ref ${ref}`);
  return resolve(doc, target);
}

/**
 * A value the schema accepts, built from its examples, enums, formats and bounds. Good enough for
 * request bodies and parameters of this API; a route whose input it cannot satisfy shows up as a
 * 422 in the generated tests, which then says what to add (an `example` on the field).
 */
export function sampleOf(doc: OpenApiDocument, input: JsonSchema): unknown {
  const schema = resolve(doc, input);
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const parts = schema[key] as JsonSchema[] | undefined;
    if (!parts) continue;
    const concrete = parts.filter((p) => resolve(doc, p).type !== 'null');
    if (key !== 'allOf') return sampleOf(doc, concrete[0]!);
    return Object.assign({}, ...concrete.map((p) => sampleOf(doc, p)));
  }
  const type = Array.isArray(schema.type) ? (schema.type as string[]).find((t) => t !== 'null') : (schema.type as string | undefined);
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      return Object.fromEntries(Object.entries(properties).map(([name, prop]) => [name, sampleOf(doc, prop)]));
    }
    case 'array':
      return [sampleOf(doc, schema.items as JsonSchema)];
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return false;
    case 'string':
      if (schema.format === 'uuid') return randomUUID();
      if (schema.format === 'date') return '2026-01-01';
      if (schema.format === 'date-time') return '2026-01-01T00:00:00.000Z';
      return 'x';
    default:
      return null;
  }
}

/** The path with every `{param}` filled: `ids` first (by parameter name), then a sample from its schema. */
export function fillPath(doc: OpenApiDocument, path: string, operation: OpenApiOperation, ids: Record<string, string> = {}): string {
  return path.replace(/\{([^}]+)\}/g, (_match, name: string) => {
    if (ids[name] !== undefined) return ids[name];
    const param = operation.parameters?.find((p) => p.in === 'path' && p.name === name);
    return encodeURIComponent(String(param?.schema ? sampleOf(doc, param.schema) : 'x'));
  });
}

export function sampleBody(doc: OpenApiDocument, operation: OpenApiOperation): string | undefined {
  const schema = operation.requestBody?.content['application/json']?.schema;
  return schema ? JSON.stringify(sampleOf(doc, schema)) : undefined;
}
