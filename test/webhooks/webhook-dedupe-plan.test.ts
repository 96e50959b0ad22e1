import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebhookRecorder } from '../../src/webhooks/webhook-recorder.js';
import { createTestDatabase, databaseUrl, type TestDatabase } from '../support/database.js';
import { planNodes, type PlanNode } from '../support/query-plans.js';
import { recorderDelivery } from '../support/webhook-signing.js';

/**
 * The recorder's insert looks for an earlier copy of each delivery in `webhook_events`. Its plan is
 * generic and kept per connection, so it is made once, at whatever size the table has then: planned
 * while the table was small, a join that reads the whole table would stay the plan while the table
 * grows, and every batch would read every row received in the window. The lookup must be a probe of
 * `webhook_events_dedupe_idx` whatever the table's size or statistics when it was planned.
 */
const delivery = () =>
  recorderDelivery({ webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE', item_id: `item-${randomUUID()}`, initial_update_complete: true, historical_update_complete: true, environment: 'sandbox' });

describe('the webhook recorder’s duplicate lookup', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());
  beforeEach(async () => {
    // TRUNCATE also forgets the table's statistics, as in a database that was never analyzed.
    await database.sql`truncate webhook_events`;
  });

  async function fill(rows: number): Promise<void> {
    await database.sql`
      insert into webhook_events (webhook_type, webhook_code, plaid_item_id, body, body_sha256, verification_sha256, status)
      select 'TRANSACTIONS', 'SYNC_UPDATES_AVAILABLE', 'item-' || g, '{}'::jsonb, md5(g::text), md5(g::text), 'processed'
      from generate_series(1, ${rows}) as g`;
  }

  /**
   * Records one delivery on a connection of its own (so the insert, inside `record_webhook_batch`, is
   * planned there and its generic plan kept), runs `between`, records another and returns the plan
   * that second insert ran with, as auto_explain reports it for the function's nested statement.
   */
  async function keptPlan(between: () => Promise<void> = async () => {}): Promise<PlanNode[]> {
    const notices: string[] = [];
    const sql = postgres(databaseUrl(database.name), { max: 1, onnotice: (notice) => notices.push(String(notice.message)) });
    try {
      await sql`load 'auto_explain'`;
      await sql`select set_config('auto_explain.log_min_duration', '0', false), set_config('auto_explain.log_nested_statements', 'on', false),
        set_config('auto_explain.log_format', 'json', false), set_config('auto_explain.log_level', 'notice', false)`;
      const recorder = new WebhookRecorder({ sql, dedupeWindowSeconds: 300, maxInFlight: 1 });
      expect((await recorder.record(delivery())).status).toBe('orphan');
      await between();
      notices.length = 0;
      expect((await recorder.record(delivery())).status).toBe('orphan');
      const plans = notices
        .filter((message) => message.includes('plan:'))
        .map((message) => planNodes([JSON.parse(message.slice(message.indexOf('plan:') + 'plan:'.length))]))
        .filter((nodes) => nodes.some((node) => node['Node Type'] === 'ModifyTable' && node['Relation Name'] === 'webhook_events'));
      expect(plans, 'auto_explain reported the recorder’s insert once').toHaveLength(1);
      return plans[0]!;
    } finally {
      await sql.end({ timeout: 5 });
    }
  }

  const webhookScans = (nodes: PlanNode[]) => nodes.filter((node) => node['Relation Name'] === 'webhook_events');

  function expectIndexProbe(nodes: PlanNode[]): void {
    const scans = webhookScans(nodes).filter((node) => node['Node Type'] !== 'ModifyTable');
    expect(scans.map((node) => `${node['Node Type']} ${node['Index Name'] ?? ''}`.trim())).toEqual([
      expect.stringMatching(/^Index (Only )?Scan webhook_events_dedupe_idx$/),
    ]);
  }

  it('probes the index when its plan was made on an empty table that has grown since (not analyzed)', async () => {
    const nodes = await keptPlan(() => fill(3_000));
    expectIndexProbe(nodes);
  });

  it('probes the index when planned against an analyzed table of a few thousand rows', async () => {
    // Here a hash join reading the whole table is cheaper in the planner's eyes than 10 probes (its
    // guess for the batch), while batches of up to 128 deliveries probe far fewer rows.
    await fill(3_000);
    await database.sql`analyze webhook_events`;
    expectIndexProbe(await keptPlan());
  });

  it('probes the index when planned after autovacuum’s first ANALYZE of a new table (a few dozen rows)', async () => {
    await fill(60);
    await database.sql`analyze webhook_events`;
    expectIndexProbe(await keptPlan(() => fill(3_000)));
  });

  it('probes the index when planned against a table analyzed while empty', async () => {
    // ANALYZE of an empty table makes the planner believe it is empty: a scan of it costs nothing.
    await database.sql`analyze webhook_events`;
    const nodes = await keptPlan(() => fill(3_000));
    expectIndexProbe(nodes);
  });
});
