import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Keyring } from './keyring.js';

export interface SealedToken {
  keyId: string;
  /** base64url of iv (12 bytes) ‖ auth tag (16 bytes) ‖ ciphertext */
  ciphertext: string;
}

export class TokenVaultError extends Error {
  override name = 'TokenVaultError';
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for Plaid access tokens. The context (the Plaid item id) is bound as additional
 * authenticated data, so a ciphertext copied onto another row does not decrypt there.
 */
export class TokenVault {
  constructor(private readonly keyring: Keyring) {}

  get currentKeyId(): string {
    return this.keyring.current.id;
  }

  encrypt(plaintext: string, context: string): SealedToken {
    const { id, key } = this.keyring.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyId: id, ciphertext: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url') };
  }

  decrypt(sealed: SealedToken, context: string): string {
    const entry = this.keyring.all.get(sealed.keyId);
    if (!entry) throw new TokenVaultError(`unknown encryption key id "${sealed.keyId}"`);
    const raw = Buffer.from(sealed.ciphertext, 'base64url');
    if (raw.length <= IV_BYTES + TAG_BYTES) throw new TokenVaultError('ciphertext is too short');
    const decipher = createDecipheriv('aes-256-gcm', entry.key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new TokenVaultError('ciphertext failed authentication');
    }
  }

  /** True when the token was sealed with an older key and should be re-encrypted. */
  needsRotation(sealed: SealedToken): boolean {
    return sealed.keyId !== this.keyring.current.id;
  }
}
