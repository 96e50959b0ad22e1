/**
 * An example consumer of plaid-sync: it keeps a local copy of one user's bank data, exactly as the
 * service stores it, using only the public API (see docs/app-integration.md).
 *
 *   npx tsx examples/mirror/mirror.ts --url http://127.0.0.1:3000 --token <API token> --user <user id> \
 *     [--out mirror.json] [--interval 2000] [--once]
 *
 * How it stays correct:
 *   1. Take the feed position FIRST (GET /api/changes/position), then read a snapshot through the
 *      read endpoints. Everything the snapshot misses comes after that position.
 *   2. Follow GET /api/changes from the position: store `record` when present, delete the key when
 *      `record` is null. Apply by the record, not by the kind (a late-read change carries the state
 *      as stored now).
 *   3. A 410 `cursor_expired` means the position is older than the service keeps: start over at 1.
 *
 * The copy is a Map from a key (`transaction:<id>`, `holding:<account id>:<security id>`, ...) to the
 * record exactly as the API returned it. A real app would write these into its own tables instead.
 */
import { rename, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

type ApiRecord = Record<string, unknown>;

interface Change {
  kind: string;
  ids: { item_id?: string; account_id?: string; transaction_id?: string; investment_transaction_id?: string; security_id?: string };
  record: ApiRecord | null;
}

interface ChangesPage {
  changes: Change[];
  next_cursor: string;
  has_more: boolean;
}

export interface MirrorOptions {
  url: string;
  token: string;
  userId: string;
  /** Page size for the feed (1–1000). */
  limit?: number;
}

/** A non-2xx answer, with the service's error code (`{ error: { code, message, requestId } }`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The key a record is kept under: one per record, the same whether it came from a snapshot or the feed. */
export function keyOf(change: Change): string {
  const [type] = change.kind.split('.') as [string];
  const { ids } = change;
  switch (type) {
    case 'transaction':
      return `transaction:${ids.transaction_id}`;
    case 'investment_transaction':
      return `investment_transaction:${ids.investment_transaction_id}`;
    case 'holding':
      return `holding:${ids.account_id}:${ids.security_id}`;
    case 'security':
      return `security:${ids.security_id}`;
    case 'liability':
      return `liability:${ids.account_id}`;
    case 'account':
      return `account:${ids.account_id}`;
    case 'item':
      return `item:${ids.item_id}`;
    default:
      // A kind this consumer does not know yet: skip it rather than stop following.
      return `unknown:${change.kind}`;
  }
}

export function createMirror(options: MirrorOptions) {
  const records = new Map<string, ApiRecord>();
  let cursor: string | null = null;
  let rebuilds = 0;

  async function get<T>(path: string): Promise<T> {
    const res = await fetch(new URL(`/api${path}`, options.url), {
      headers: { authorization: `Bearer ${options.token}`, 'x-user-id': options.userId },
    });
    const body = (await res.json()) as T & { error?: { code: string; message: string } };
    if (!res.ok) throw new ApiError(res.status, body.error?.code ?? 'unknown', `GET ${path}: ${res.status} ${body.error?.message ?? ''}`);
    return body;
  }

  /** Every row of a keyset-paged list: follow `next_cursor` until it is null. */
  async function paged(path: string, field: string): Promise<ApiRecord[]> {
    const rows: ApiRecord[] = [];
    for (let page: string | null = null; ; ) {
      const sep = path.includes('?') ? '&' : '?';
      const body = await get<Record<string, unknown>>(`${path}${sep}limit=500${page ? `&cursor=${encodeURIComponent(page)}` : ''}`);
      rows.push(...(body[field] as ApiRecord[]));
      page = body.next_cursor as string | null;
      if (!page) return rows;
    }
  }

  /** Step 1: the position, then the snapshot. Replaces the whole copy. */
  async function snapshot(): Promise<void> {
    // The order matters: a position taken after the reads could skip a change committed in between.
    const position = await get<{ cursor: string }>('/changes/position');
    const copy = new Map<string, ApiRecord>();
    const { items } = await get<{ items: ApiRecord[] }>('/items');
    for (const listed of items) {
      copy.set(`item:${String(listed.id)}`, listed);
      // One item with every account, inactive and replaced ones included.
      const item = await get<{ accounts: ApiRecord[] }>(`/items/${String(listed.id)}`);
      for (const { id, product } of item.accounts) {
        copy.set(`account:${String(id)}`, await get<ApiRecord>(`/accounts/${String(id)}`));
        if (product === 'investments') {
          const { holdings } = await get<{ holdings: ApiRecord[] }>(`/accounts/${String(id)}/holdings`);
          for (const holding of holdings) {
            copy.set(`holding:${String(id)}:${String(holding.security_id)}`, holding);
            const security = holding.security as ApiRecord | undefined;
            if (security) copy.set(`security:${String(security.id)}`, security);
          }
          for (const t of await paged(`/accounts/${String(id)}/investment-transactions`, 'investment_transactions')) copy.set(`investment_transaction:${String(t.id)}`, t);
        }
        if (product === 'liabilities') {
          const { liabilities } = await get<{ liabilities: ApiRecord[] }>(`/accounts/${String(id)}/liabilities`);
          for (const liability of liabilities) copy.set(`liability:${String(id)}`, liability);
        }
      }
    }
    // Transactions of every account (of every product) in one paged list.
    for (const t of await paged('/transactions', 'transactions')) copy.set(`transaction:${String(t.id)}`, t);
    records.clear();
    for (const [key, value] of copy) records.set(key, value);
    cursor = position.cursor;
  }

  /** Step 2: store the record, or delete the key when the record is gone. */
  function apply(change: Change): void {
    const key = keyOf(change);
    if (key.startsWith('unknown:')) return;
    if (change.record === null) records.delete(key);
    else records.set(key, change.record);
    // A holding carries its security as stored now: that is the newest word on the security too.
    const security = change.record?.security as ApiRecord | undefined;
    if (key.startsWith('holding:') && security) records.set(`security:${String(security.id)}`, security);
  }

  /**
   * Reads the feed until it is caught up for now (`has_more: false`); returns the changes applied.
   * Step 3: on 410 `cursor_expired` it rebuilds from a snapshot and carries on from there.
   */
  async function catchUp(): Promise<number> {
    if (cursor === null) await snapshot();
    let applied = 0;
    for (;;) {
      let page: ChangesPage;
      try {
        page = await get<ChangesPage>(`/changes?limit=${options.limit ?? 100}&cursor=${encodeURIComponent(cursor!)}`);
      } catch (error) {
        if (error instanceof ApiError && error.status === 410) {
          rebuilds++;
          await snapshot();
          continue;
        }
        throw error;
      }
      for (const change of page.changes) apply(change);
      applied += page.changes.length;
      // Keep the cursor only after applying its page: a crash here re-reads the page, which is harmless.
      cursor = page.next_cursor;
      if (!page.has_more) return applied;
    }
  }

  return {
    records,
    catchUp,
    snapshot,
    get cursor() {
      return cursor;
    },
    /** How many times a 410 made it start over from a snapshot. */
    get rebuilds() {
      return rebuilds;
    },
  };
}

/** Writes the copy and where it stands; through a rename, so a reader never sees half a file. */
async function save(file: string, mirror: ReturnType<typeof createMirror>): Promise<void> {
  const body = JSON.stringify({ cursor: mirror.cursor, rebuilds: mirror.rebuilds, records: Object.fromEntries(mirror.records) });
  await writeFile(`${file}.tmp`, body);
  await rename(`${file}.tmp`, file);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      token: { type: 'string', default: process.env.PLAID_SYNC_API_TOKEN },
      user: { type: 'string' },
      out: { type: 'string', default: 'mirror.json' },
      interval: { type: 'string', default: '2000' },
      once: { type: 'boolean', default: false },
    },
  });
  if (!values.url || !values.token || !values.user) throw new Error('usage: mirror.ts --url <service> --token <API token> --user <user id> [--out file] [--interval ms] [--once]');
  const mirror = createMirror({ url: values.url, token: values.token, userId: values.user });
  let stopping = false;
  process.on('SIGTERM', () => (stopping = true));
  process.on('SIGINT', () => (stopping = true));
  do {
    // Polling is the baseline; a `changes.available` notification would only make it ask sooner.
    const applied = await mirror.catchUp();
    await save(values.out, mirror);
    process.stdout.write(`${JSON.stringify({ msg: 'caught_up', applied, records: mirror.records.size, rebuilds: mirror.rebuilds })}\n`);
    if (!values.once) await new Promise((resolve) => setTimeout(resolve, Number(values.interval)));
  } while (!values.once && !stopping);
}

// Run as a program (not when a test imports the module).
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
    process.exit(1);
  });
}
