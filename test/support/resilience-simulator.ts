import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createSimulator, type DeliverWebhook, type SimulatorOptions } from '../../src/simulator/index.js';
import { TEST_PLAID_CLIENT_ID, TEST_PLAID_SECRET } from './app.js';

/** One Plaid request as the simulator saw it: which call (endpoint and body), when, and the answer. */
export interface RecordedRequest {
  endpoint: string;
  /** The request body without credentials: the same value means the same call (a retry). */
  call: string;
  accessToken: string | undefined;
  startedAt: number;
  endedAt: number;
  status: number;
  errorCode: string | undefined;
}

/**
 * The simulator as an HTTP server (so the service's real client, timeouts included, talks to it)
 * that records every Plaid request, to check retries against the policy afterwards. Webhook
 * deliveries go through `deliverWebhook` (default: not sent).
 */
export async function startRecordingSimulator(options: Partial<SimulatorOptions> & { deliverWebhook?: DeliverWebhook } = {}) {
  const requests: RecordedRequest[] = [];
  const simulator = createSimulator({
    clientId: TEST_PLAID_CLIENT_ID,
    secret: TEST_PLAID_SECRET,
    seed: 77,
    deliverWebhook: () => Promise.resolve({ status: 200 }),
    ...options,
  });
  const server = await new Promise<ServerType>((resolve) => {
    const started = serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: async (request) => {
        const url = new URL(request.url);
        if (url.pathname.startsWith('/simulator/')) return simulator.fetch(request);
        const text = await request.clone().text();
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // Recorded as an empty call; the simulator answers INVALID_BODY.
        }
        const { client_id: _id, secret: _secret, ...rest } = body;
        const entry: RecordedRequest = {
          endpoint: url.pathname, call: `${url.pathname} ${JSON.stringify(rest)}`,
          accessToken: typeof body.access_token === 'string' ? body.access_token : undefined,
          startedAt: performance.now(), endedAt: 0, status: 0, errorCode: undefined,
        };
        requests.push(entry);
        const response = await simulator.fetch(request);
        entry.endedAt = performance.now();
        entry.status = response.status;
        if (response.status !== 200) {
          const error = (await response.clone().json().catch(() => ({}))) as { error_code?: string };
          entry.errorCode = error.error_code;
        }
        return response;
      },
    }, () => resolve(started));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    simulator,
    control: simulator.control,
    requests,
    async close() {
      await simulator.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
    },
  };
}

export interface RetryFigures {
  /** Logical calls (same endpoint and body) and the most attempts any of them took in one run. */
  calls: number;
  maxAttempts: number;
  /** Retries sooner than the policy allows after a failure (a 429: the rate-limit base). */
  earlyRetries: number;
  /** Smallest wait seen after a 429 and after another failure, in ms. */
  minWaitAfterRateLimitMs: number | null;
  minWaitAfterErrorMs: number | null;
}

/**
 * Reads the recorded requests as the retry policy sees them: consecutive requests of one call
 * after a failure are attempts of one `plaidCall` (a gap of `runGapMs` or more is a new run, the
 * queue's own retry). Waits are measured from the failed answer to the next attempt.
 */
export function retryFigures(
  requests: readonly RecordedRequest[],
  policy: { baseDelayMs: number; rateLimitDelayMs: number; runGapMs: number; timeoutMs: number },
): RetryFigures {
  const byCall = new Map<string, RecordedRequest[]>();
  for (const request of requests) byCall.set(request.call, [...(byCall.get(request.call) ?? []), request]);
  const figures: RetryFigures = { calls: byCall.size, maxAttempts: 0, earlyRetries: 0, minWaitAfterRateLimitMs: null, minWaitAfterErrorMs: null };
  const min = (current: number | null, value: number) => (current === null ? value : Math.min(current, value));
  for (const attempts of byCall.values()) {
    attempts.sort((a, b) => a.startedAt - b.startedAt);
    let streak = 1;
    for (let i = 1; i < attempts.length; i++) {
      const previous = attempts[i - 1]!;
      // A held answer the client gave up on (a timeout) ends, for the client, at its timeout.
      const timedOut = previous.endedAt - previous.startedAt >= policy.timeoutMs - 5;
      const failedAt = timedOut ? previous.startedAt + policy.timeoutMs : previous.endedAt;
      const wait = attempts[i]!.startedAt - failedAt;
      const failed = previous.status !== 200 || timedOut;
      if (!failed || wait >= policy.runGapMs) {
        streak = 1;
        continue;
      }
      streak++;
      const rateLimited = previous.status === 429;
      // Equal jitter keeps at least half of the first step; 20 ms allows for timer and socket slack.
      const floor = (rateLimited ? policy.rateLimitDelayMs : policy.baseDelayMs) / 2 - 20;
      if (wait < floor) figures.earlyRetries++;
      if (rateLimited) figures.minWaitAfterRateLimitMs = min(figures.minWaitAfterRateLimitMs, Math.round(wait));
      else figures.minWaitAfterErrorMs = min(figures.minWaitAfterErrorMs, Math.round(wait));
      figures.maxAttempts = Math.max(figures.maxAttempts, streak);
    }
    figures.maxAttempts = Math.max(figures.maxAttempts, 1);
  }
  return figures;
}
