import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLoop } from '../../bench/support/open-loop.js';
import { latencyLog } from '../../bench/webhooks.js';

describe('the fixed-rate phase’s latency log', () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    // Every third request fails, so the log shows both kinds of line.
    let seen = 0;
    server = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.statusCode = ++seen % 3 === 0 ? 500 : 200;
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('keeps each request’s due time and latency, in the order they were due, failures included', async () => {
    const before = Date.now();
    const result = await openLoop({ url, rate: 200, count: 9, request: () => ({ method: 'GET', path: '/' }), samples: true });
    expect(result.ok).toBe(6);
    expect(result.failures).toBe(3);
    const samples = result.samples!;
    expect(samples).toHaveLength(9);
    expect(samples.filter((s) => s.ms === null)).toHaveLength(3);
    for (const [i, sample] of samples.entries()) {
      expect(sample.dueAt).toBeGreaterThanOrEqual(before);
      if (i > 0) expect(sample.dueAt - samples[i - 1]!.dueAt).toBeCloseTo(5, 3);
      if (sample.ms !== null) expect(sample.ms).toBeGreaterThan(0);
    }
  });

  it('leaves the samples out unless asked', async () => {
    const result = await openLoop({ url, rate: 200, count: 2, request: () => ({ method: 'GET', path: '/' }) });
    expect(result.samples).toBeUndefined();
  });

  it('writes one line per request: UTC due time to a tenth of a millisecond, then ms or "failed"', () => {
    const at = Date.UTC(2026, 11, 6, 7, 42, 0, 539) + 0.87;
    expect(latencyLog([{ dueAt: at, ms: 2.048 }, { dueAt: at + 2, ms: null }])).toBe(
      '2026-12-06T07:42:00.5398Z 2.05\n2026-12-06T07:42:00.5418Z failed\n',
    );
    expect(latencyLog([])).toBe('');
  });
});
