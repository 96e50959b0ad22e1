const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Mixes 32-bit integers into one well-distributed 32-bit value (murmur3 finaliser per step). */
export function mix(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (part | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    // Values above 2^32 (positions in very large logs never are, but days and ids may be) still count.
    if (part > 0xffffffff || part < -0x80000000) h = mix(h, Math.floor(part / 0x100000000));
  }
  return h >>> 0;
}

/** mulberry32: tiny, fast and good enough for synthetic data; one instance per generated record. */
export class Rng {
  private current: number;

  constructor(seed: number) {
    this.current = seed >>> 0;
  }

  /** The generator's whole state: `new Rng(rng.state)` continues the same sequence. */
  get state(): number {
    return this.current;
  }

  next(): number {
    return this.uint32() / 4294967296;
  }

  uint32(): number {
    this.current = (this.current + 0x6d2b79f5) >>> 0;
    let t = this.current;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  between(min: number, maxInclusive: number): number {
    return min + this.int(maxInclusive - min + 1);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  base62(length: number): string {
    let out = '';
    // Five base62 digits per 32-bit draw (62^5 < 2^32): ids are generated for every synced row.
    while (out.length < length) out += base62Fixed(this.uint32() % 916_132_832, Math.min(5, length - out.length));
    return out;
  }

  hex(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += (this.int(16)).toString(16);
    return out;
  }

  uuid(): string {
    const h = this.hex(32);
    const variant = ((this.int(4) + 8) >>> 0).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

/** Fixed-width base62 of a uint32, so ids that embed it stay unique by construction. */
export function base62Fixed(value: number, width: number): string {
  let v = value >>> 0;
  let out = '';
  for (let i = 0; i < width; i++) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out;
}

/** A bijection on uint32 so sequential indices look random but never collide. */
export function scramble(value: number, key: number): number {
  let v = (value ^ key) >>> 0;
  v = Math.imul(v, 0x2c1b3c6d) >>> 0;
  v ^= v >>> 12;
  v = Math.imul(v, 0x297a2d39) >>> 0;
  v ^= v >>> 15;
  return v >>> 0;
}

/** A 37-character Plaid-style id, unique per (namespace key, index). */
export function plaidId(key: number, index: number): string {
  return new Rng(mix(key, index, 0x1d)).base62(31) + base62Fixed(scramble(index, key), 6);
}
