import { randomInt } from 'node:crypto';
import type { SimulatorContext } from './context.js';
import type { LinkTokenRecord, PublicTokenRecord } from './item-store.js';
import { STATE_VERSION, restoreItem, saveItem } from './saved-state.js';
import type { SavedItem, SavedMeta } from './saved-state.js';
import type { SimulatorStateStore } from './state-store.js';

/** Request ids reserved ahead of use: the ceiling is saved long before the counter can reach it. */
const REQUEST_ID_BLOCK = 1_000_000;

/** Saved state read before the simulator is built: its seed decides every id and generated value. */
export interface LoadedState {
  rows: Map<string, unknown>;
  meta: SavedMeta | null;
}

export async function loadState(store: SimulatorStateStore): Promise<LoadedState> {
  const rows = await store.load();
  const meta = (rows.get('meta') as SavedMeta | undefined) ?? null;
  if (meta !== null && meta.version !== STATE_VERSION) {
    throw new Error(`the simulator's saved state is version ${meta.version}, this simulator reads version ${STATE_VERSION}; drop schema plaid_simulator to start over`);
  }
  return { rows, meta };
}

/**
 * A fresh state gets a random seed, so a simulator started over (its schema dropped, or state from
 * before it was saved) never hands out the ids of items an app may still hold.
 */
export function seedFor(loaded: LoadedState, requested: number | undefined): number {
  return loaded.meta?.seed ?? requested ?? randomInt(1, 2 ** 31);
}

/**
 * Keeps a simulator's state in a store. Every change is saved before the answer that made it goes
 * out (see flush), so an access token or item id a client has seen always exists after a restart.
 * Only keys touched since the last save are serialised, and only those whose value changed are written.
 */
export class SimulatorPersistence {
  private readonly saved = new Map<string, string>();
  private tail: Promise<void> = Promise.resolve();
  private requestCeiling = 0;

  constructor(private readonly ctx: SimulatorContext, private readonly store: SimulatorStateStore) {}

  /** Applies loaded state to a freshly built simulator, then saves what a restart must not reuse. */
  async restore(loaded: LoadedState): Promise<void> {
    const { ctx } = this;
    const now = ctx.clock.now();
    const publicTokens: [string, PublicTokenRecord][] = [];
    const linkTokens: LinkTokenRecord[] = [];
    for (const [key, value] of loaded.rows) {
      if (key.startsWith('item:')) ctx.store.add(restoreItem(ctx.store, value as SavedItem));
      else if (key.startsWith('public:') && (value as PublicTokenRecord).expiresAt > now) publicTokens.push([key.slice(7), value as PublicTokenRecord]);
      else if (key.startsWith('link:') && (value as LinkTokenRecord).expiresAt > now) linkTokens.push(value as LinkTokenRecord);
    }
    const meta = loaded.meta;
    if (meta !== null) {
      ctx.store.restore(meta.counters, publicTokens, linkTokens);
      ctx.signer.restore(meta.signer);
      ctx.faults.set(meta.faults);
      ctx.limiter.enabled = meta.rateLimits;
      ctx.requests.next = meta.requestCeiling;
    }
    ctx.store.takeDirty();
    // What was loaded counts as saved; expired tokens are left out, so the first save deletes them.
    for (const key of loaded.rows.keys()) {
      const value = this.valueOf(key);
      this.saved.set(key, value === null ? '' : JSON.stringify(value));
      if (value === null) ctx.store.markDirty([key]);
    }
    await this.flush();
  }

  /** Saves every change made so far; calls run one after another, each after the changes before it. */
  flush(): Promise<void> {
    const run = this.tail.then(() => this.write());
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async write(): Promise<void> {
    const keys = this.ctx.store.takeDirty();
    if (this.ctx.requests.next + REQUEST_ID_BLOCK / 2 > this.requestCeiling) this.requestCeiling = this.ctx.requests.next + REQUEST_ID_BLOCK;
    const upserts: [string, string][] = [];
    const deletes: string[] = [];
    for (const key of [...keys, 'meta']) {
      const value = this.valueOf(key);
      if (value === null) {
        if (this.saved.has(key)) deletes.push(key);
        continue;
      }
      const json = JSON.stringify(value);
      if (this.saved.get(key) !== json) upserts.push([key, json]);
    }
    if (upserts.length === 0 && deletes.length === 0) return;
    try {
      await this.store.save(upserts, deletes);
    } catch (error) {
      this.ctx.store.markDirty(keys);
      throw error;
    }
    for (const [key, json] of upserts) this.saved.set(key, json);
    for (const key of deletes) this.saved.delete(key);
  }

  private valueOf(key: string): unknown {
    if (key === 'meta') return this.meta();
    const entry = this.ctx.store.entry(key);
    if (entry === null) return null;
    if ('item' in entry) return saveItem(entry.item);
    return 'publicToken' in entry ? entry.publicToken : entry.linkToken;
  }

  private meta(): SavedMeta {
    const { ctx } = this;
    return {
      version: STATE_VERSION,
      seed: ctx.options.seed,
      counters: ctx.store.counters(),
      requestCeiling: this.requestCeiling,
      signer: ctx.signer.saved(),
      faults: ctx.faults.list(),
      rateLimits: ctx.limiter.enabled,
    };
  }
}
