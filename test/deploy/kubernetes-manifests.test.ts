import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { envFields, envSchema } from '../../src/config/env.js';

const dir = path.resolve(import.meta.dirname, '../../deploy/kubernetes');

interface Container {
  image: string;
  command?: string[];
  ports: { name: string; containerPort: number }[];
  env: { name: string; value: string }[];
  envFrom: unknown[];
  readinessProbe: { httpGet: unknown };
  livenessProbe: { httpGet: unknown };
  resources: { requests: { memory?: string }; limits: { memory?: string } };
}

interface PodSpec {
  terminationGracePeriodSeconds: number;
  restartPolicy?: string;
  securityContext: { runAsNonRoot?: boolean; runAsUser: number };
  containers: Container[];
}

/** Only the fields these checks read; a missing one fails the check that reads it. */
interface Manifest {
  kind: string;
  metadata: { name: string };
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> } & Record<string, string>;
    template: { spec: PodSpec };
    ports: { targetPort: string }[];
  };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

const manifests: Manifest[] = readdirSync(dir)
  .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
  .flatMap((file) =>
    parseAllDocuments(readFileSync(path.join(dir, file), 'utf8')).map((document) => {
      expect(document.errors, file).toEqual([]);
      return document.toJS() as Manifest;
    }),
  );
const byKind = (kind: string) => manifests.filter((manifest) => manifest.kind === kind);
const one = (kind: string) => {
  const found = byKind(kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};
const knownNames = new Set(Object.keys(envFields.shape));
const DEFAULT_SHUTDOWN_TIMEOUT_MS = envFields.shape.SHUTDOWN_TIMEOUT_MS.parse(undefined);

describe('deploy/kubernetes', () => {
  const deployment = one('Deployment');
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0]!;
  const configMap = one('ConfigMap');
  const secret = one('Secret');

  it('lists every manifest in the kustomization', () => {
    const kustomization = parseAllDocuments(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as { resources: string[] };
    const files = readdirSync(dir).filter((file) => file.endsWith('.yaml') && !['kustomization.yaml', 'secret.example.yaml'].includes(file));
    expect(kustomization.resources.sort()).toEqual(files.sort());
  });

  it('probes readiness on /readyz and liveness on /healthz, on the container port the Service targets', () => {
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    const port = container.ports.find((candidate) => candidate.name === 'http');
    expect(port?.containerPort).toBe(Number(container.env.find((variable) => variable.name === 'PORT')?.value));
    const service = one('Service');
    expect(service.spec.ports[0]!.targetPort).toBe('http');
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(one('PodDisruptionBudget').spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
  });

  it('gives the pod a grace period longer than the shutdown timeout, resources, and a non-root user', () => {
    const timeout = Number(configMap.data!.SHUTDOWN_TIMEOUT_MS ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(timeout);
    for (const spec of [pod, one('Job').spec.template.spec]) {
      expect(spec.securityContext.runAsNonRoot).toBe(true);
      expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
      expect(spec.containers[0]!.resources.requests.memory).toBeDefined();
      expect(spec.containers[0]!.resources.limits.memory).toBeDefined();
    }
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
  });

  it('names only environment variables the service reads, with every secret in the Secret, not the ConfigMap', () => {
    const names = [
      ...container.env.map((variable) => variable.name),
      ...Object.keys(configMap.data!),
      ...Object.keys(secret.stringData!),
    ];
    expect(names.filter((name) => !knownNames.has(name))).toEqual([]);
    const secrets = ['DATABASE_URL', 'PLAID_SECRET', 'TOKEN_ENCRYPTION_KEY', 'API_TOKENS', 'ADMIN_PASSWORD'];
    expect(Object.keys(secret.stringData!)).toEqual(expect.arrayContaining(secrets));
    expect(Object.keys(configMap.data!).filter((name) => secrets.includes(name))).toEqual([]);
    // Each value parses as the service would parse it.
    const parsed = envSchema.safeParse({ ...configMap.data, ...secret.stringData });
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });

  it('runs the migration Job with the same image, configuration and the migrate CLI of the build', () => {
    const job = one('Job').spec.template.spec;
    expect(job.containers[0]!.image).toBe(container.image);
    expect(job.containers[0]!.command).toEqual(['node', 'dist/migrate.js']);
    expect(job.containers[0]!.envFrom).toEqual(container.envFrom);
    expect(job.restartPolicy).toBe('Never');
  });
});
