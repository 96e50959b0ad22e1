/**
 * changes: how fast an app can read the change feed. One user with N changes (default 100,000:
 * transaction.added rows written by the feed's triggers while a set-based insert stores the
 * transactions), beside another user with as many, so the user filter and the index matter. The
 * whole feed is read page by page through `readChanges` (the service the route calls: feed rows,
 * the current records, one repeatable-read snapshot) and each page serialized as the route would.
 *
 *   npm run bench -- changes [--changes 100000] [--limit 500]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { connectDatabase, type Sql } from '../src/db/client.js';
import { readChanges } from '../src/services/change-feed.js';
import { sized } from './support/bench-options.js';
import { benchDatabase } from './support/bench-database.js';
import type { BenchResult } from './support/bench-result.js';
import { countPostgresCpu } from './support/cpu-usage.js';

/** A user's item, one account and `count` transactions, written in one statement each. */
async function userWithChanges(sql: Sql, count: number): Promise<string> {
  const userId = randomUUID();
  const [item] = await sql<{ id: string }[]>`
    insert into plaid_items (user_id, plaid_item_id, institution_id, access_token_ciphertext, access_token_key_id, product, products, entitled_products)
    values (${userId}, ${`bench-${randomUUID()}`}, 'ins_109508', 'x', 'k', 'transactions', '{transactions}', '{transactions}') returning id`;
  const [account] = await sql<{ id: string }[]>`
    insert into plaid_accounts (item_id, user_id, plaid_account_id, product, name, type, balance_current)
    values (${item!.id}, ${userId}, ${`acc-${randomUUID()}`}, 'transactions', 'Checking', 'depository', '100.00') returning id`;
  await sql`
    insert into plaid_transactions (plaid_transaction_id, account_id, item_id, amount, date, name, merchant_name, pending, category_primary)
    select ${account!.id}::text || '-' || n, ${account!.id}, ${item!.id}, (n % 10000)::numeric / 100, date '2026-01-01' + (n % 365),
      'Purchase ' || n, 'Merchant ' || (n % 500), n % 7 = 0, 'GENERAL_MERCHANDISE'
    from generate_series(1, ${count}) as n`;
  return userId;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

export async function run(argv: string[] = []): Promise<BenchResult> {
  const { values } = parseArgs({
    args: argv,
    options: { changes: { type: 'string', default: String(sized(100_000, 2_000)) }, limit: { type: 'string', default: '500' } },
    allowPositionals: true,
  });
  const count = Number(values.changes);
  const limit = Number(values.limit);
  const database = await benchDatabase('changes');
  const handle = connectDatabase(database.url, { max: 4 });
  try {
    const writeStarted = performance.now();
    const userId = await userWithChanges(handle.sql, count);
    const writeSeconds = (performance.now() - writeStarted) / 1000;
    await userWithChanges(handle.sql, count);
    await handle.sql`vacuum analyze change_feed`;

    const readAll = async (pageSize: number) => {
      const pages: number[] = [];
      let cursor: string | undefined;
      let changes = 0;
      let bytes = 0;
      const started = performance.now();
      for (;;) {
        const pageStarted = performance.now();
        const page = await readChanges(handle.db, { userId, cursor, limit: pageSize });
        bytes += JSON.stringify(page).length;
        pages.push(performance.now() - pageStarted);
        changes += page.changes.length;
        cursor = page.next_cursor;
        if (!page.has_more) break;
      }
      const seconds = (performance.now() - started) / 1000;
      if (changes !== count + 1) throw new Error(`expected ${count + 1} changes (the account and its transactions), read ${changes}`);
      pages.sort((a, b) => a - b);
      return { seconds, pages, bytes };
    };

    // The first pass warms the caches and the plans; the second is measured.
    await readAll(limit);
    const postgresCpu = await countPostgresCpu(handle.sql);
    const measured = await readAll(limit);
    const postgresSeconds = await postgresCpu.stop();
    const small = await readAll(100);

    return {
      name: 'changes',
      params: { changes: count, 'page size': limit, 'other users’ changes': count },
      figures: {
        'write: transactions with their feed rows, rows/s': count / writeSeconds,
        'read seconds (whole feed)': measured.seconds,
        'changes/s': (count + 1) / measured.seconds,
        'pages (feed reads)/s': measured.pages.length / measured.seconds,
        'page p50 ms': percentile(measured.pages, 0.5),
        'page p99 ms': percentile(measured.pages, 0.99),
        'PostgreSQL CPU seconds': postgresSeconds,
        'bytes per change (JSON)': measured.bytes / (count + 1),
        'pages of 100: changes/s': (count + 1) / small.seconds,
        'pages of 100: feed reads/s': small.pages.length / small.seconds,
        'pages of 100: page p99 ms': percentile(small.pages, 0.99),
      },
    };
  } finally {
    await handle.close();
    await database.stop();
  }
}
