/**
 * admin: server time of the admin items list with 10,000 items. Seeds a fresh database, then
 * renders the list page through the admin app in-process, so the numbers are query + render time
 * without network or browser.
 *
 *   npm run bench -- admin [--items 10000] [--rounds 200]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type postgres from 'postgres';
import { adminRoutes } from '../src/admin/admin-app.js';
import { listItems } from '../src/admin/item-list-query.js';
import { listParamsSchema } from '../src/admin/list-params.js';
import { loadConfig } from '../src/config/load-config.js';
import { connectDatabase } from '../src/db/client.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics/metrics.js';
import { createPlaidClient } from '../src/plaid/client.js';
import { TokenVault } from '../src/vault/token-vault.js';
import { percentile, sized } from './support/bench-options.js';
import { benchDatabase } from './support/bench-database.js';
import type { BenchResult } from './support/bench-result.js';

/** Items over a few institutions and statuses, 3 accounts each, and a history of sync runs. */
async function seed(sql: postgres.Sql, count: number): Promise<void> {
  await sql`
    insert into plaid_items (user_id, plaid_item_id, institution_id, institution_name, access_token_ciphertext, access_token_key_id,
      product, products, entitled_products, status, error_code, pending_disconnect_at, new_accounts_available, created_at)
    select gen_random_uuid(), 'bench-item-' || n, 'ins_' || (n % 40), 'Bench Bank ' || (n % 40),
      'sealed', 'bench', 'transactions',
      case when n % 7 = 0 then array['transactions', 'investments'] else array['transactions'] end,
      case when n % 7 = 0 then array['investments', 'transactions'] else array['transactions'] end,
      case when n % 23 = 0 then 'needs_reauth' when n % 31 = 0 then 'disconnected' else 'active' end,
      case when n % 23 = 0 then 'ITEM_LOGIN_REQUIRED' end,
      case when n % 53 = 0 then now() + interval '3 days' end,
      n % 61 = 0,
      now() - make_interval(mins => n)
    from generate_series(1, ${count}) n`;
  await sql`
    insert into plaid_accounts (item_id, user_id, plaid_account_id, product, name, type, subtype, balance_current, iso_currency_code)
    select i.id, i.user_id, i.plaid_item_id || '-acc-' || a, 'transactions', 'Account ' || a, 'depository', 'checking', (a * 100.25)::numeric, 'USD'
    from plaid_items i cross join generate_series(1, 3) a`;
  await sql`
    insert into sync_runs (item_id, product, trigger, status, started_at, finished_at, pages, added)
    select i.id, 'transactions', 'webhook', case when r = 5 and i.status = 'needs_reauth' then 'failed' else 'succeeded' end,
      now() - make_interval(hours => 6 - r), now() - make_interval(hours => 6 - r) + interval '2 seconds', 1, 10
    from plaid_items i cross join generate_series(1, 5) r`;
  // What each run's commit keeps: the finish time of the newest succeeded run per (item, product).
  await sql`
    insert into sync_state (item_id, product, last_succeeded_at)
    select distinct on (item_id, product) item_id, product, finished_at from sync_runs
    where status = 'succeeded' order by item_id, product, started_at desc`;
  await sql`analyze`;
}

export async function run(argv: string[] = []): Promise<BenchResult> {
  const { values } = parseArgs({
    args: argv,
    options: { items: { type: 'string', default: String(sized(10_000, 200)) }, rounds: { type: 'string', default: String(sized(200, 10)) } },
    allowPositionals: true,
  });
  const ITEMS = Number(values.items);
  const ROUNDS = Number(values.rounds);
  const db = await benchDatabase('admin');
  const handle = connectDatabase(db.url, { max: 10 });
  try {
    await seed(handle.sql, ITEMS);
    // A sandbox-mode configuration, validated like a deployment's; only the password and key matter here.
    const { config } = await loadConfig({
      PLAID_ENV: 'sandbox',
      PLAID_CLIENT_ID: 'bench',
      PLAID_SECRET: 'bench-secret',
      PLAID_BASE_URL: 'http://127.0.0.1:9',
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      API_TOKENS: 'bench-token-0123456789',
      ADMIN_PASSWORD: 'bench-admin-password',
      DATABASE_URL: db.url,
      PUBLIC_URL: 'http://localhost',
      WEBHOOK_URL: 'none',
    });
    const admin = adminRoutes({
      config,
      db: handle.db,
      sql: handle.sql,
      logger: createLogger('silent'),
      metrics: createMetrics(),
      vault: new TokenVault(config.keyring),
      plaid: createPlaidClient({ ...config.plaid, timeoutMs: 1000 }),
      syncs: { request: () => Promise.resolve() },
    });
    const login = await admin.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ password: config.adminPassword }).toString(),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;

    const views: Record<string, string> = {
      'default (status sort)': '/items',
      'sort by institution, page 120': '/items?sort=institution&page=120',
      'sort by linked date, desc': '/items?sort=created&dir=desc',
      'sort by last successful sync': '/items?sort=last_sync',
      'sort by last successful sync, desc, page 120': '/items?sort=last_sync&dir=desc&page=120',
      'filter needs_reauth': '/items?status=needs_reauth',
      'search institution': '/items?q=bank+17',
      'filter product + search': '/items?product=investments&q=bench',
    };
    const figures: Record<string, number> = {};
    let worstP95 = 0;
    for (const [label, url] of Object.entries(views)) {
      const render = async () => {
        const res = await admin.request(url, { headers: { cookie } });
        if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
        await res.text();
      };
      for (let i = 0; i < 10; i++) await render();
      const times: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const start = performance.now();
        await render();
        times.push(performance.now() - start);
      }
      times.sort((a, b) => a - b);
      const p95 = percentile(times, 95);
      worstP95 = Math.max(worstP95, p95);
      figures[`${label}: p50 ms`] = percentile(times, 50);
      figures[`${label}: p95 ms`] = p95;
    }
    // Where the time goes on the default view: the two queries alone, without rendering.
    const queryTimes: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const start = performance.now();
      await listItems(handle.sql, listParamsSchema.parse({}));
      queryTimes.push(performance.now() - start);
    }
    queryTimes.sort((a, b) => a - b);
    figures['queries only, default view: p50 ms'] = percentile(queryTimes, 50);
    figures['queries only, default view: p95 ms'] = percentile(queryTimes, 95);
    figures['worst p95 ms'] = worstP95;
    return { name: 'admin', params: { items: ITEMS, 'requests per view': ROUNDS }, figures, targets: { 'worst p95 ms': '<= 50' } };
  } finally {
    await handle.close();
    await db.stop();
  }
}

