import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
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
  await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return { secrets, created: true };
}
