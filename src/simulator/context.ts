import { CallStats } from './call-stats.js';
import { Clock } from './clock.js';
import { FaultInjector } from './faults.js';
import { ItemStore } from './item-store.js';
import { Rng, mix } from './prng.js';
import { RateLimiter } from './rate-limits.js';
import { WebhookDispatcher, defaultDeliver } from './webhook-dispatcher.js';
import type { DeliverWebhook } from './webhook-dispatcher.js';
import { WebhookSigner } from './webhook-signer.js';

export interface SimulatorOptions {
  /** Credentials accepted in the PLAID-CLIENT-ID / PLAID-SECRET headers or client_id / secret in the body. */
  clientId: string;
  secret: string;
  /** Seed for all generated data, ids and fault decisions. */
  seed?: number;
  /** 1 = real time; 0.001 turns the 30 s first webhook retry into 30 ms. */
  timeScale?: number;
  deliverWebhook?: DeliverWebhook;
  /** Transactions in a new Item's initial history (default 250). */
  defaultTransactionCount?: number;
  /** How long a webhook receiver may take before the attempt counts as failed (default 10 s × timeScale, at least 1 s). */
  webhookTimeoutMs?: number;
  /** Per-item and per-client rate limits on from the start (default off). */
  rateLimits?: boolean;
  /** Wall clock in ms (default Date.now); token expiry, key timestamps and rate-limit windows read it. */
  now?: () => number;
  /** Fixes "today" (YYYY-MM-DD) for generated dates, for byte-identical data across days. */
  today?: string;
  /** Where a browser reaches this simulator, for Hosted Link URLs (startSimulatorServer sets it from its address). */
  publicUrl?: string;
  /**
   * Phased readiness of Items created through Link (simulated ms after Link, × timeScale): the
   * initial update (recent 30 days) after `initialMs`, the historical update after `historicalMs`.
   * Unset: Items are fully ready at once (tests drive phases with `markReady`).
   */
  readiness?: Readiness;
}

export interface Readiness {
  initialMs: number;
  historicalMs: number;
}

/**
 * The phases of the simulator `npm start` runs: short enough that a linked item fills in while one
 * watches (Plaid takes seconds for the 30 days and minutes for the history), long enough to see them.
 */
export const QUICK_READINESS: Readiness = { initialMs: 2_000, historicalMs: 8_000 };

export interface SimulatorContext {
  options: Required<Pick<SimulatorOptions, 'clientId' | 'secret' | 'seed' | 'timeScale' | 'defaultTransactionCount'>> & { readiness: Readiness | null };
  clock: Clock;
  store: ItemStore;
  signer: WebhookSigner;
  dispatcher: WebhookDispatcher;
  faults: FaultInjector;
  limiter: RateLimiter;
  calls: CallStats;
  /** Aborted by close() so held responses are released. */
  closing: AbortController;
  /** Request ids are numbered; saved state keeps the number so they never repeat after a restart. */
  requests: { next: number };
  /** Base URL of the Link page; null until the simulator knows where it listens. */
  publicUrl: string | null;
  /** Saves the changes a request made before its answer goes out; null when state lives in memory only. */
  saveChanges: (() => Promise<void>) | null;
  nextRequestId(): string;
}

export function createContext(options: SimulatorOptions): SimulatorContext {
  const seed = options.seed ?? 1;
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0)) throw new RangeError('timeScale must be greater than 0');
  const clock = new Clock(timeScale, options.now ?? Date.now, options.today);
  const signer = new WebhookSigner(seed, clock);
  const timeoutMs = options.webhookTimeoutMs ?? Math.max(1_000, 10_000 * timeScale);
  const limiter = new RateLimiter(clock);
  limiter.enabled = options.rateLimits ?? false;
  const requests = { next: 0 };
  return {
    options: {
      clientId: options.clientId,
      secret: options.secret,
      seed,
      timeScale,
      defaultTransactionCount: options.defaultTransactionCount ?? 250,
      readiness: options.readiness ?? null,
    },
    clock,
    store: new ItemStore(seed, clock, options.defaultTransactionCount ?? 250),
    signer,
    dispatcher: new WebhookDispatcher(clock, signer, options.deliverWebhook ?? defaultDeliver, timeoutMs),
    faults: new FaultInjector(seed),
    limiter,
    calls: new CallStats(),
    closing: new AbortController(),
    requests,
    publicUrl: options.publicUrl ?? null,
    saveChanges: null,
    nextRequestId: () => new Rng(mix(seed, 0x4e9, requests.next++)).base62(15),
  };
}
