import type { Keyring } from '../../src/vault/keyring.js';

/** A named secret and the spellings it could leak in. */
export interface Secret {
  name: string;
  values: string[];
}

/** Every encoding a 32-byte key could be printed in (base64, base64url, hex). */
export function keyringSecrets(keyring: Keyring): Secret[] {
  return [...keyring.all.values()].map((entry) => ({
    name: `encryption key ${entry.id}`,
    values: [entry.key.toString('base64').replace(/=+$/, ''), entry.key.toString('base64url'), entry.key.toString('hex')],
  }));
}

export function plainSecret(name: string, value: string): Secret {
  return { name, values: [value] };
}

/**
 * Collects text the service produced (log lines, pages, API answers, metrics) and reports any secret
 * found in it, with where it was seen. Counts the texts and bytes scanned, for the printed figures.
 */
export class SecretScanner {
  private readonly secrets: Secret[] = [];
  readonly leaks: { secret: string; where: string }[] = [];
  scanned = { texts: 0, bytes: 0 };

  add(...secrets: Secret[]): void {
    for (const secret of secrets) {
      // Short values would match by chance; every secret the tests use is long.
      if (secret.values.some((value) => value.length < 12)) throw new Error(`secret ${secret.name} is too short to scan for`);
      this.secrets.push(secret);
    }
  }

  scan(where: string, text: string): void {
    this.scanned.texts++;
    this.scanned.bytes += text.length;
    for (const secret of this.secrets) {
      if (secret.values.some((value) => text.includes(value))) this.leaks.push({ secret: secret.name, where });
    }
  }

  summary(): string {
    return `${this.scanned.texts} texts, ${(this.scanned.bytes / 1024).toFixed(0)} KiB scanned for ${this.secrets.length} secrets: ${this.leaks.length} leaks`;
  }
}
