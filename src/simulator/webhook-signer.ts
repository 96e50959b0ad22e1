import { createHash, createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { JWKPublicKey } from 'plaid';
import type { Clock } from './clock.js';
import { Rng, mix } from './prng.js';

interface SigningKey {
  privateKey: KeyObject;
  jwk: JWKPublicKey;
}

/** The signer as saved simulator state keeps it: private keys too, so webhooks stay verifiable after a restart. */
export interface SavedSigner {
  generation: number;
  keys: { jwk: JWKPublicKey; privateJwk: Record<string, unknown> }[];
}

/** ES256 keys for the Plaid-Verification JWT; rotation keeps old keys resolvable with expired_at set. */
export class WebhookSigner {
  private readonly keys = new Map<string, SigningKey>();
  private current!: SigningKey;
  private generation = 0;

  constructor(private readonly seed: number, private readonly clock: Clock) {
    this.rotate();
  }

  get currentKid(): string {
    return this.current.jwk.kid;
  }

  /** Starts signing with a fresh key; the previous one stays fetchable but is marked expired. */
  rotate(): { kid: string; expiredKid: string | null } {
    const previous = this.generation > 0 ? this.current : null;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const exported = publicKey.export({ format: 'jwk' });
    const kid = new Rng(mix(this.seed, 0x61d, this.generation++)).uuid();
    const key: SigningKey = {
      privateKey,
      jwk: {
        alg: 'ES256', crv: 'P-256', kid, kty: 'EC', use: 'sig',
        x: exported.x ?? '', y: exported.y ?? '',
        created_at: this.clock.nowSeconds(), expired_at: null,
      },
    };
    if (previous) previous.jwk.expired_at = this.clock.nowSeconds();
    this.keys.set(kid, key);
    this.current = key;
    return { kid, expiredKid: previous?.jwk.kid ?? null };
  }

  saved(): SavedSigner {
    return {
      generation: this.generation,
      keys: [...this.keys.values()].map((k) => ({ jwk: { ...k.jwk }, privateJwk: k.privateKey.export({ format: 'jwk' }) })),
    };
  }

  /** Replaces the keys with saved ones; the last saved key signs from now on. */
  restore(saved: SavedSigner): void {
    if (saved.keys.length === 0) return;
    this.keys.clear();
    for (const entry of saved.keys) {
      const key: SigningKey = { privateKey: createPrivateKey({ key: entry.privateJwk as never, format: 'jwk' }), jwk: { ...entry.jwk } };
      this.keys.set(key.jwk.kid, key);
      this.current = key;
    }
    this.generation = saved.generation;
  }

  publicKey(kid: string): JWKPublicKey | undefined {
    const key = this.keys.get(kid);
    return key ? { ...key.jwk } : undefined;
  }

  allKeys(): JWKPublicKey[] {
    return [...this.keys.values()].map((k) => ({ ...k.jwk }));
  }

  /** The Plaid-Verification header value for exactly these body bytes. */
  sign(body: string): string {
    const header = { alg: 'ES256', kid: this.current.jwk.kid, typ: 'JWT' };
    const claims = { iat: this.clock.nowSeconds(), request_body_sha256: createHash('sha256').update(body).digest('hex') };
    const signingInput = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(signingInput), { key: this.current.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${signingInput}.${signature.toString('base64url')}`;
  }
}

function b64(value: string): string {
  return Buffer.from(value).toString('base64url');
}
