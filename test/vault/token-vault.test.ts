import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseKeyring } from '../../src/vault/keyring.js';
import { TokenVault, TokenVaultError } from '../../src/vault/token-vault.js';

const key = () => randomBytes(32).toString('base64');
const token = 'access-sandbox-5f1c2a7e-2b7d-4f1e-9a55-0d5c4a1b2c3d';

describe('TokenVault', () => {
  it('round-trips a token and never stores the plaintext', () => {
    const vault = new TokenVault(parseKeyring(`primary:${key()}`));
    const sealed = vault.encrypt(token, 'item-1');
    expect(sealed.keyId).toBe('primary');
    expect(sealed.ciphertext).not.toContain(token);
    expect(vault.decrypt(sealed, 'item-1')).toBe(token);
  });

  it('uses a fresh IV for every encryption', () => {
    const vault = new TokenVault(parseKeyring(key()));
    expect(vault.encrypt(token, 'i').ciphertext).not.toBe(vault.encrypt(token, 'i').ciphertext);
  });

  it('rejects tampered ciphertext', () => {
    const vault = new TokenVault(parseKeyring(key()));
    const sealed = vault.encrypt(token, 'item-1');
    const raw = Buffer.from(sealed.ciphertext, 'base64url');
    raw[raw.length - 1]! ^= 0x01;
    expect(() => vault.decrypt({ ...sealed, ciphertext: raw.toString('base64url') }, 'item-1')).toThrow(TokenVaultError);
    expect(() => vault.decrypt({ ...sealed, ciphertext: 'abc' }, 'item-1')).toThrow(/too short/);
  });

  it('rejects a ciphertext moved to another item', () => {
    const vault = new TokenVault(parseKeyring(key()));
    expect(() => vault.decrypt(vault.encrypt(token, 'item-1'), 'item-2')).toThrow(/authentication/);
  });

  it('rejects an unknown key id', () => {
    const vault = new TokenVault(parseKeyring(`a:${key()}`));
    const sealed = vault.encrypt(token, 'x');
    expect(() => vault.decrypt({ ...sealed, keyId: 'b' }, 'x')).toThrow(/unknown encryption key id "b"/);
  });

  it('rotates: the new key encrypts, old ciphertexts still decrypt', () => {
    const oldKey = key();
    const before = new TokenVault(parseKeyring(`2025:${oldKey}`));
    const sealedOld = before.encrypt(token, 'x');
    const after = new TokenVault(parseKeyring(`2026:${key()},2025:${oldKey}`));
    expect(after.decrypt(sealedOld, 'x')).toBe(token);
    expect(after.needsRotation(sealedOld)).toBe(true);
    const sealedNew = after.encrypt(token, 'x');
    expect(sealedNew.keyId).toBe('2026');
    expect(after.needsRotation(sealedNew)).toBe(false);
    expect(() => before.decrypt(sealedNew, 'x')).toThrow(/unknown encryption key id/);
  });
});

describe('parseKeyring', () => {
  it('accepts hex, base64 and base64url keys and derives stable ids for bare keys', () => {
    const bytes = randomBytes(32);
    const fromHex = parseKeyring(bytes.toString('hex'));
    const fromBase64 = parseKeyring(bytes.toString('base64'));
    expect(fromHex.current.id).toBe(fromBase64.current.id);
    expect(parseKeyring(bytes.toString('base64url')).current.key.equals(bytes)).toBe(true);
  });

  it.each([
    ['', /at least one key/],
    ['short', /not a 32-byte key/],
    [`bad id!:${randomBytes(32).toString('base64')}`, /invalid key id/],
    [`a:${randomBytes(32).toString('base64')},a:${randomBytes(32).toString('base64')}`, /appears twice/],
    [randomBytes(16).toString('base64'), /not a 32-byte key/],
  ])('rejects %j', (value, message) => {
    expect(() => parseKeyring(value)).toThrow(message);
  });
});
