import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/** Secrets generated for simulator mode so that `npm start` needs no configuration. */
export const devSecretsSchema = z.object({
  tokenEncryptionKey: z.string(),
  apiToken: z.string(),
  adminPassword: z.string(),
  plaidClientId: z.string(),
  plaidSecret: z.string(),
});
export type DevSecrets = z.infer<typeof devSecretsSchema>;

export const DEV_SECRETS_FILE = 'dev-secrets.json';

function generate(): DevSecrets {
  return {
    tokenEncryptionKey: `dev:${randomBytes(32).toString('base64')}`,
    apiToken: `dev_${randomBytes(24).toString('base64url')}`,
    adminPassword: randomBytes(12).toString('base64url'),
    plaidClientId: `sim_${randomBytes(8).toString('hex')}`,
    plaidSecret: randomBytes(16).toString('hex'),
  };
}

/** Reads the secrets kept in the data directory, creating them on the first start. */
export async function loadOrCreateDevSecrets(dataDir: string): Promise<{ secrets: DevSecrets; created: boolean }> {
  const file = path.join(dataDir, DEV_SECRETS_FILE);
  try {
    const parsed = devSecretsSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (parsed.success) return { secrets: parsed.data, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secrets = generate();
  await mkdir(dataDir, { recursive: true });
  // Published whole and exclusively (link fails if the file exists): of two first starts racing (the
  // DATA_DIR lock comes later), one writes and both use its secrets, never a half-written file.
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(draft, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  try {
    await link(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const kept = await readFile(file, 'utf8').then((text) => devSecretsSchema.safeParse(JSON.parse(text)), () => undefined);
    if (kept?.success) return { secrets: kept.data, created: false };
    // A file that holds no secrets is replaced, as the first read above does.
    await rename(draft, file);
  } finally {
    await unlink(draft).catch(() => undefined);
  }
  return { secrets, created: true };
}
