import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';

// The Kubernetes API's OpenAPI schemas, compiled into the `kubernetes-models` package (offline).
// Like kubeconform without --strict, they check types, required fields and known kinds, not
// unknown field names: kubernetes-manifests.test.ts reads the fields that matter by name.
const dir = path.resolve(import.meta.dirname, '../../deploy/kubernetes');

interface Resource {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string };
  [field: string]: unknown;
}

interface Validatable {
  validate(): void;
}

type ModelClass = new (data: Resource) => Validatable;

/** Every Kubernetes object in deploy/kubernetes/ (the Kustomization is kustomize's, not the API's). */
function manifests(): { file: string; resource: Resource }[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
    .flatMap((file) =>
      parseAllDocuments(readFileSync(path.join(dir, file), 'utf8')).map((document) => ({
        file,
        resource: document.toJS() as Resource,
      })),
    );
}

/** The model of apiVersion and kind (`apps/v1` + `Deployment`), or undefined for one the API lacks. */
async function modelOf({ apiVersion, kind }: Resource): Promise<ModelClass | undefined> {
  if (!/^[a-z0-9.]+(\/[a-z0-9]+)?$/.test(apiVersion ?? '') || !/^[A-Z][A-Za-z]+$/.test(kind ?? '')) return undefined;
  try {
    const module = (await import(`kubernetes-models/${apiVersion}/${kind}`)) as Record<string, ModelClass | undefined>;
    return module[kind];
  } catch {
    return undefined;
  }
}

/** The schema's complaint about one resource, or undefined when it is valid. */
async function problem(resource: Resource): Promise<string | undefined> {
  const Model = await modelOf(resource);
  if (!Model) return `unknown apiVersion/kind ${resource.apiVersion}/${resource.kind}`;
  try {
    new Model(resource).validate();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('deploy/kubernetes against the Kubernetes API schemas', () => {
  it('validates every manifest', async () => {
    const found = manifests();
    expect(found.map(({ resource }) => resource.kind).sort()).toEqual(
      ['ConfigMap', 'Deployment', 'Job', 'PodDisruptionBudget', 'Secret', 'Service'],
    );
    for (const { file, resource } of found) {
      expect(await problem(resource), `${file}: ${resource.kind} ${resource.metadata?.name}`).toBeUndefined();
    }
  });

  it('rejects a broken copy: wrong types, a missing required field, a kind the API no longer serves', async () => {
    const original = (kind: string) => structuredClone(manifests().find(({ resource }) => resource.kind === kind)!.resource);
    type Pod = { containers: Record<string, unknown>[] };
    type Template = { spec: { template: { spec: Pod }; replicas?: unknown } };

    const replicas = original('Deployment') as Resource & Template;
    replicas.spec.replicas = 'two';
    expect(await problem(replicas)).toMatch(/replicas must be integer/);

    const port = original('Deployment') as Resource & Template;
    (port.spec.template.spec.containers[0]!.ports as { containerPort: unknown }[])[0]!.containerPort = '3000';
    expect(await problem(port)).toMatch(/containerPort must be integer/);

    const unnamed = original('Job') as Resource & Template;
    delete unnamed.spec.template.spec.containers[0]!.name;
    expect(await problem(unnamed)).toMatch(/required property name/);

    const configMap = original('ConfigMap') as Resource & { data: Record<string, unknown> };
    configMap.data.SHUTDOWN_TIMEOUT_MS = 10000;
    expect(await problem(configMap)).toMatch(/must be string/);

    const pdb = original('PodDisruptionBudget');
    expect(await problem({ ...pdb, apiVersion: 'policy/v2' })).toMatch(/unknown apiVersion/);
    expect(await problem({ ...pdb, kind: 'PodDisruptionBudgets' })).toMatch(/unknown apiVersion/);
  });
});
