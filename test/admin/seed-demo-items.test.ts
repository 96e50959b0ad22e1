import { describe, expect, it } from 'vitest';
import { seedDemoItems } from '../../src/simulator-demo/seed-demo-items.js';
import { buildTestApp, recordingScheduler, testConfig } from '../support/app.js';
import { useDatabaseAndSimulator } from '../support/test-environment.js';

const env = useDatabaseAndSimulator({ defaultTransactionCount: 3 });

describe('demo items in simulator mode', () => {
  it('links demo items into an empty database, once, and asks for their first syncs', async () => {
    const syncs = recordingScheduler();
    const { deps, logs } = buildTestApp(env.database, { syncs, config: testConfig({ webhookUrl: undefined }) });
    expect(await seedDemoItems(deps)).toBe(3);
    const rows = await env.database.sql<{ institution_name: string; status: string }[]>`select institution_name, status from plaid_items order by created_at`;
    expect(rows.map((row) => row.status)).toEqual(['active', 'active', 'active']);
    expect(new Set(rows.map((row) => row.institution_name)).size).toBe(3);
    const products = await env.database.sql<{ product: string }[]>`select distinct unnest(products) as product from plaid_items order by 1`;
    expect(products.map((row) => row.product)).toEqual(['investments', 'liabilities', 'transactions']);
    expect(syncs.requests.every((request) => request.trigger === 'initial')).toBe(true);
    expect(logs.some((line) => line.msg === 'demo_items_linked')).toBe(true);
    // A restart finds items and leaves them alone.
    expect(await seedDemoItems(deps)).toBe(0);
  });

  it('logs and carries on when the simulator refuses', async () => {
    await env.database.sql`truncate plaid_items cascade`;
    env.simulator.control.addFault({ endpoint: '/sandbox/public_token/create', kind: 'internal_error', count: 1 });
    const { deps, logs } = buildTestApp(env.database, { config: testConfig({ webhookUrl: undefined }) });
    expect(await seedDemoItems(deps)).toBe(0);
    expect(logs.find((line) => line.msg === 'demo_items_failed')).toMatchObject({ linked: 0 });
  });
});
