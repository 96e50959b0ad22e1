import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.js';
import { createInstrumentedPlaidClient } from '../../src/plaid/instrumented-client.js';
import { testConfig } from '../support/app.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';

let sim: TestSimulator;
beforeAll(() => {
  sim = startTestSimulator();
});
afterAll(async () => {
  await sim.close();
});

describe('the instrumented Plaid client', () => {
  it('counts calls by endpoint and outcome and times them', async () => {
    const metrics = createMetrics();
    const plaid = createInstrumentedPlaidClient({ ...testConfig().plaid, timeoutMs: 5_000 }, metrics);
    const { accessToken } = sim.control.createItem({ transactionCount: 1 });
    await plaid.accountsGet({ access_token: accessToken });
    await expect(plaid.accountsGet({ access_token: 'access-sandbox-00000000-0000-0000-0000-000000000000' })).rejects.toThrow();
    const counts = (await metrics.plaidApiRequests.get()).values.map((v) => [v.labels.endpoint, v.labels.outcome, v.value]);
    expect(counts).toEqual([
      ['/accounts/get', 'ok', 1],
      ['/accounts/get', 'INVALID_ACCESS_TOKEN', 1],
    ]);
    const durations = (await metrics.plaidApiDuration.get()).values.find((v) => v.metricName === 'plaid_api_request_duration_seconds_count');
    expect(durations).toMatchObject({ labels: { endpoint: '/accounts/get' }, value: 2 });
  });
});
