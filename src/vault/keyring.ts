import { createHash } from 'node:crypto';

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

/** Keys that may decrypt; the first one encrypts. */
export interface Keyring {
  current: EncryptionKey;
  all: ReadonlyMap<string, EncryptionKey>;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

function decodeKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
  return bytes.length === 32 ? bytes : undefined;
}

/** A key given without an id is named after its hash, so the same key always gets the same id. */
function derivedId(key: Buffer): string {
  return `k${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
}

/**
 * Parses `TOKEN_ENCRYPTION_KEY`: a comma-separated list of `id:key` or bare `key` entries, each key
 * 32 bytes in base64, base64url or hex. The first entry encrypts new tokens; every entry decrypts,
 * which is how keys rotate without re-encrypting everything at once.
 */
export function parseKeyring(value: string): Keyring {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new Error('must list at least one key');
  const all = new Map<string, EncryptionKey>();
  for (const [index, entry] of entries.entries()) {
    const separator = entry.indexOf(':');
    const keyText = separator === -1 ? entry : entry.slice(separator + 1);
    const key = decodeKey(keyText);
    if (!key) throw new Error(`entry ${index + 1} is not a 32-byte key in base64 or hex`);
    const id = separator === -1 ? derivedId(key) : entry.slice(0, separator);
    if (!KEY_ID.test(id)) throw new Error(`entry ${index + 1} has an invalid key id (letters, digits, - and _ only)`);
    if (all.has(id)) throw new Error(`key id "${id}" appears twice`);
    all.set(id, { id, key });
  }
  const current = all.get([...all.keys()][0]!)!;
  return { current, all };
}
