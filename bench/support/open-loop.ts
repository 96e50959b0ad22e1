/**
 * An open-loop load generator: requests leave on a fixed schedule (one every 1/rate seconds),
 * whether or not earlier ones were answered, and each latency is counted from the moment its
 * request was due. autocannon's `overallRate` is a per-second budget instead: every connection sends
 * back to back until the second's quota is used, then waits for the next second, so "500/s" is a
 * burst at full speed followed by silence, and its latencies are those of the burst.
 */
import http from 'node:http';

export interface OpenLoopRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface OpenLoopResult {
  /** Requests answered with a 2xx. */
  ok: number;
  /** Non-2xx answers and transport errors. */
  failures: number;
  /** Answered requests per second, from the first request's due time to the last answer. */
  perSecond: number;
  /** Latency from each request's due time to its answer, in milliseconds. */
  p50: number;
  p99: number;
  max: number;
  /** How late the generator itself sent requests (due → handed to the socket), p99 in milliseconds. */
  sendLagP99: number;
  /** With `samples: true`: each request's due time (ms since the epoch) and latency (null: failed), in order. */
  samples?: { dueAt: number; ms: number | null }[];
}

/** Sends one request; resolves true once a 2xx answer has been read to its end, false otherwise. */
function requestOnce(agent: http.Agent, target: URL, { method, path, headers, body }: OpenLoopRequest): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.request(
      { host: target.hostname, port: target.port, method, path, agent, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode !== undefined && response.statusCode >= 200 && response.statusCode < 300));
      },
    );
    request.on('error', () => resolve(false));
    request.end(body);
  });
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function openLoop(options: {
  url: string;
  rate: number;
  count: number;
  request: (index: number) => OpenLoopRequest;
  /** Sockets kept open to the server (default 64): enough that a slow answer never holds up a due request. */
  sockets?: number;
  /** Keep every request's due time and latency, to line the slow ones up with other logs. */
  samples?: boolean;
}): Promise<OpenLoopResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.sockets ?? 64 });
  const target = new URL(options.url);
  const interval = 1000 / options.rate;
  const latencies: number[] = [];
  const lags: number[] = [];
  const samples: { dueAt: number; ms: number | null }[] | undefined = options.samples ? Array.from({ length: options.count }) : undefined;
  let failures = 0;
  let sent = 0;
  let answered = 0;
  let lastAnswer = 0;
  const start = performance.now() + 5;

  await new Promise<void>((resolve) => {
    const done = () => {
      answered += 1;
      lastAnswer = performance.now();
      if (answered === options.count) resolve();
    };
    const send = (index: number) => {
      const due = start + index * interval;
      const answered = requestOnce(agent, target, options.request(index));
      lags.push(performance.now() - due);
      void answered.then((ok) => {
        const ms = performance.now() - due;
        if (ok) latencies.push(ms);
        else failures += 1;
        if (samples) samples[index] = { dueAt: performance.timeOrigin + due, ms: ok ? ms : null };
        done();
      });
    };
    const tick = () => {
      const now = performance.now();
      while (sent < options.count && start + sent * interval <= now) send(sent++);
      if (sent < options.count) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
    };
    setTimeout(tick, 5);
  });
  agent.destroy();

  latencies.sort((a, b) => a - b);
  lags.sort((a, b) => a - b);
  return {
    ok: latencies.length,
    failures,
    perSecond: latencies.length / ((lastAnswer - start) / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? 0,
    sendLagP99: percentile(lags, 99),
    ...(samples ? { samples } : {}),
  };
}

/** One request at a time on one kept-alive socket: the latency of a request that waits for no other. */
export async function oneAtATime(options: { url: string; count: number; request: (index: number) => OpenLoopRequest }): Promise<{ p50: number; p99: number; failures: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(options.url);
  const latencies: number[] = [];
  let failures = 0;
  for (let index = 0; index < options.count; index++) {
    const started = performance.now();
    if (await requestOnce(agent, target, options.request(index))) latencies.push(performance.now() - started);
    else failures += 1;
  }
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), failures };
}
