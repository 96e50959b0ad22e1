import { AxiosError, AxiosHeaders } from 'axios';
import { describe, expect, it } from 'vitest';
import {
  AbortedError, DEFAULT_BACKOFF, PlaidCallError, backoffDelay, createPlaidCaller, realTimers,
} from '../../src/providers/plaid/plaid-call.js';
import { instantTimers } from '../support/sync-harness.js';

function plaidFailure(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): AxiosError {
  const config = { headers: new AxiosHeaders({ 'PLAID-SECRET': 'do-not-leak' }) };
  return new AxiosError('Request failed', 'ERR_BAD_RESPONSE', config, {}, {
    status, statusText: '', data: body, headers, config,
  });
}

const rateLimited = () => plaidFailure(429, { error_type: 'RATE_LIMIT_EXCEEDED', error_code: 'TRANSACTIONS_SYNC_LIMIT', error_message: 'slow down' });
const outage = () => plaidFailure(500, { error_type: 'API_ERROR', error_code: 'INTERNAL_SERVER_ERROR', error_message: 'oops' });

/** A request that fails with the given errors in turn, then succeeds. */
function flaky(...errors: Error[]) {
  let calls = 0;
  const request = () => {
    const error = errors[calls++];
    return error ? Promise.reject(error) : Promise.resolve({ data: { ok: true } });
  };
  return { request, calls: () => calls };
}

describe('Plaid call retry policy', () => {
  it('retries transient errors with growing, jittered delays and reports every error', async () => {
    const timers = instantTimers();
    const seen: string[] = [];
    const call = createPlaidCaller(DEFAULT_BACKOFF, timers);
    const target = flaky(outage(), outage(), outage());
    await expect(call('/accounts/get', target.request, { onError: (e) => seen.push(e.code) })).resolves.toEqual({ ok: true });
    expect(target.calls()).toBe(4);
    expect(seen).toEqual(['INTERNAL_SERVER_ERROR', 'INTERNAL_SERVER_ERROR', 'INTERNAL_SERVER_ERROR']);
    expect(timers.delays).toEqual([188, 375, 750]);
  });

  it('starts from a longer delay after a rate limit, and honours Retry-After', async () => {
    const timers = instantTimers();
    const call = createPlaidCaller(DEFAULT_BACKOFF, timers);
    const withHeader = plaidFailure(429, { error_type: 'RATE_LIMIT_EXCEEDED', error_code: 'RATE_LIMIT', error_message: 'x' }, { 'retry-after': '7' });
    await call('/transactions/sync', flaky(rateLimited(), withHeader).request);
    expect(timers.delays).toEqual([1_500, 7_000]);
  });

  it('is bounded: the last failure becomes a PlaidCallError without the SDK error', async () => {
    const timers = instantTimers();
    const call = createPlaidCaller({ ...DEFAULT_BACKOFF, maxAttempts: 3 }, timers);
    const error = await call('/transactions/sync', flaky(outage(), outage(), outage(), outage()).request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlaidCallError);
    expect(error).toMatchObject({ attempts: 3, plaid: { code: 'INTERNAL_SERVER_ERROR', kind: 'transient' } });
    expect(JSON.stringify(error)).not.toContain('do-not-leak');
    expect(timers.delays).toHaveLength(2);
  });

  it('does not retry permanent errors', async () => {
    const timers = instantTimers();
    const call = createPlaidCaller(DEFAULT_BACKOFF, timers);
    const login = plaidFailure(400, { error_type: 'ITEM_ERROR', error_code: 'ITEM_LOGIN_REQUIRED', error_message: 'login' });
    await expect(call('/transactions/sync', flaky(login).request)).rejects.toMatchObject({ plaid: { kind: 'needs_reauth' }, attempts: 1 });
    expect(timers.delays).toEqual([]);
  });

  it('caps every delay at the maximum', () => {
    expect(backoffDelay(DEFAULT_BACKOFF, 20, true, () => 1)).toBe(DEFAULT_BACKOFF.maxDelayMs);
    expect(backoffDelay(DEFAULT_BACKOFF, 0, false, () => 0)).toBe(DEFAULT_BACKOFF.baseDelayMs / 2);
  });

  it('stops when aborted, before a call and while backing off', async () => {
    const aborted = AbortSignal.abort();
    const call = createPlaidCaller(DEFAULT_BACKOFF, instantTimers());
    await expect(call('/x', flaky().request, { signal: aborted })).rejects.toBeInstanceOf(AbortedError);
    const controller = new AbortController();
    const slow = createPlaidCaller({ ...DEFAULT_BACKOFF, baseDelayMs: 60_000, maxDelayMs: 60_000 }, realTimers);
    const pending = slow('/x', flaky(outage()).request, { signal: controller.signal });
    setImmediate(() => controller.abort());
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    await expect(realTimers.sleep(1, aborted)).rejects.toBeInstanceOf(AbortedError);
    await expect(realTimers.sleep(1)).resolves.toBeUndefined();
  });
});
