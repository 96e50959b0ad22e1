import type { z } from 'zod';

/** The parts of zod's internal definition the walk reads; zod 4 keeps them on `schema._zod.def`. */
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  options?: readonly z.ZodType[];
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/**
 * The dotted paths of body fields the endpoint's schema does not name, as Plaid lists them in
 * UNKNOWN_FIELDS. Plaid refuses them rather than ignoring them, so a field a client sends by mistake
 * fails here as it would there. Only objects, arrays and their wrappers are walked; a value of the
 * wrong type is left for the schema's own INVALID_FIELD.
 */
export function unknownFields(schema: z.ZodType, value: unknown, path = ''): string[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return def.innerType ? unknownFields(def.innerType, value, path) : [];
    case 'pipe':
      return def.in ? unknownFields(def.in, value, path) : [];
    case 'array':
      if (!Array.isArray(value) || !def.element) return [];
      return value.flatMap((entry, index) => unknownFields(def.element as z.ZodType, entry, `${path}[${index}]`));
    case 'union': {
      // A union accepts the body if any member does; report the member that leaves the fewest unknowns.
      const candidates = (def.options ?? []).map((option) => unknownFields(option, value, path));
      return candidates.reduce<string[] | null>((best, next) => (best === null || next.length < best.length ? next : best), null) ?? [];
    }
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value) || !def.shape) return [];
      const shape = def.shape;
      return Object.entries(value as Record<string, unknown>).flatMap(([key, inner]) => {
        const field = path === '' ? key : `${path}.${key}`;
        const member = Object.hasOwn(shape, key) ? shape[key] : undefined;
        return member === undefined ? [field] : unknownFields(member, inner, field);
      });
    }
    default:
      return [];
  }
}
