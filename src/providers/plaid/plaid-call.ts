import { isAxiosError } from 'axios';
import { classifyPlaidError, type ClassifiedPlaidError } from '../../plaid/errors.js';

/**
 * Retry policy for transient Plaid failures (outages, timeouts, rate limits). Plaid's rate limits are
 * per-minute windows, so a rate-limited call starts backing off from a much longer delay.
 */
export interface BackoffPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  rateLimitDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { maxAttempts: 5, baseDelayMs: 250, rateLimitDelayMs: 2_000, maxDelayMs: 30_000 };

/** Timing seams so tests run the policy at full speed and deterministically. */
export interface BackoffTimers {
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
}

export interface PlaidCallOptions {
  signal?: AbortSignal;
  /** Sees every failed attempt, retried or not (so metrics count transient errors too). */
  onError?(error: ClassifiedPlaidError): void;
  /**
   * `raise`: a rate-limited answer is thrown at once instead of retried, for a caller that paces
   * itself to Plaid's per-minute window (the long `/transactions/sync` pagination).
   */
  rateLimits?: 'retry' | 'raise';
}

/** The request config the SDK methods take as their last argument. */
export interface PlaidRequestConfig {
  signal?: AbortSignal;
}

export type PlaidCall = <T>(
  endpoint: string,
  request: (config: PlaidRequestConfig) => Promise<{ data: T }>,
  options?: PlaidCallOptions,
) => Promise<T>;

/** A Plaid call that failed for good. Holds only the classified fields: the SDK error carries the secret. */
export class PlaidCallError extends Error {
  override name = 'PlaidCallError';

  constructor(
    readonly endpoint: string,
    readonly plaid: ClassifiedPlaidError,
    readonly attempts: number,
  ) {
    super(`${endpoint} failed with ${plaid.code}: ${plaid.message}`);
  }
}

export class AbortedError extends Error {
  override name = 'AbortedError';
}

export const realTimers: BackoffTimers = {
  random: Math.random,
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new AbortedError('aborted'));
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(new AbortedError('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Plaid's per-minute limits (`CREDITS_EXHAUSTED` is a rate-limit type too, but classified fatal and never waited out). */
export function isRateLimited(error: ClassifiedPlaidError): boolean {
  return error.kind === 'transient' && (error.type === 'RATE_LIMIT_EXCEEDED' || error.httpStatus === 429);
}

function retryAfterMs(error: unknown): number | undefined {
  if (!isAxiosError(error)) return undefined;
  const header: unknown = error.response?.headers?.['retry-after'];
  const seconds = typeof header === 'string' ? Number(header) : NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/**
 * "Equal jitter": half the exponential step is kept, half is random, so retries of many items spread
 * out without ever collapsing to zero delay.
 */
export function backoffDelay(policy: BackoffPolicy, retry: number, rateLimited: boolean, random: () => number): number {
  const base = rateLimited ? policy.rateLimitDelayMs : policy.baseDelayMs;
  const step = Math.min(policy.maxDelayMs, base * 2 ** retry);
  return Math.round(step / 2 + (random() * step) / 2);
}

/**
 * Wraps each Plaid call in the adapter's retry policy: transient failures are retried with bounded
 * exponential backoff and jitter (a `Retry-After` header, if Plaid ever sends one, wins); anything
 * else, or the last failed attempt, becomes a `PlaidCallError`.
 */
export function createPlaidCaller(policy: BackoffPolicy = DEFAULT_BACKOFF, timers: BackoffTimers = realTimers): PlaidCall {
  return async <T>(endpoint: string, request: (config: PlaidRequestConfig) => Promise<{ data: T }>, options: PlaidCallOptions = {}) => {
    for (let attempt = 1; ; attempt++) {
      if (options.signal?.aborted) throw new AbortedError('aborted');
      try {
        const response = await request(options.signal ? { signal: options.signal } : {});
        return response.data;
      } catch (error) {
        if (options.signal?.aborted) throw new AbortedError('aborted');
        const classified = classifyPlaidError(error);
        options.onError?.(classified);
        const rateLimited = isRateLimited(classified);
        if (rateLimited && options.rateLimits === 'raise') throw new PlaidCallError(endpoint, classified, attempt);
        if (classified.kind !== 'transient' || attempt >= policy.maxAttempts) throw new PlaidCallError(endpoint, classified, attempt);
        const delay = retryAfterMs(error) ?? backoffDelay(policy, attempt - 1, rateLimited, timers.random);
        await timers.sleep(Math.min(delay, policy.maxDelayMs), options.signal);
      }
    }
  };
}
