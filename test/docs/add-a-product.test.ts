import { execFile } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GUIDE = 'docs/backend/plaid-helpers.md';
const WIRING_BUDGET = 50;

/** The files of step 1 of the guide, written here: the product's module and its table. */
const NEW_FILES: Record<string, string> = {
  'src/plaid/products/identity.ts': `/**
 * Identity: \`/identity/get\` in one call. Each returned account's owners (names, addresses, emails,
 * phone numbers) are kept whole in \`account_identities\`; balances refresh from the returned accounts.
 */
import { sql } from 'drizzle-orm';
import { AccountType, Products } from 'plaid';
import type { SyncCounts } from '../../sync/sync-outcome.js';
import { serializeAccount, upsertAccounts } from './accounts.js';
import type { ProductSyncContext, RegistryEntry } from './registry-entry.js';

async function syncIdentity(ctx: ProductSyncContext): Promise<SyncCounts> {
  const response = await ctx.call('/identity/get', (config) => ctx.plaid.identityGet({ access_token: ctx.accessToken }, config));
  await ctx.pageFetched(1);
  const owners = JSON.stringify(response.accounts.map((account) => ({ account_id: account.account_id, owners: account.owners })));
  return ctx.commit(async (tx) => {
    const itemId = ctx.item.id;
    const accounts = await upsertAccounts(tx, { itemId, userId: ctx.item.userId, product: 'identity', accounts: response.accounts });
    const upserted = (await tx.execute(sql\`
      insert into account_identities as i (account_id, item_id, owners)
      select a.id, \${itemId}, r.owners
      from jsonb_to_recordset(\${owners}::jsonb) as r(account_id text, owners jsonb)
      join plaid_accounts a on a.plaid_account_id = r.account_id and a.item_id = \${itemId}
      on conflict (account_id) do update set owners = excluded.owners, updated_at = now()
      where i.owners is distinct from excluded.owners
      returning (xmax = 0) as inserted\`)) as unknown as { inserted: boolean }[];
    const added = upserted.filter((row) => row.inserted).length;
    return { pages: 1, added: added + accounts.added, modified: upserted.length - added + accounts.modified, removed: 0 };
  });
}

export const identityEntry: RegistryEntry = {
  product: 'identity',
  plaidProduct: Products.Identity,
  queue: 'sync-identity',
  accounts: { [AccountType.Depository]: 'all', [AccountType.Credit]: 'all' },
  webhooks: ['IDENTITY/DEFAULT_UPDATE'],
  sync: syncIdentity,
  serializeAccount,
};
`,
  'src/db/schema/identity.ts': `import { index, jsonb, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core';
import { plaidAccounts } from './accounts.js';
import { plaidItems } from './items.js';

/** One row per account Plaid returns identity for; its \`owners\` array is kept whole. */
export const accountIdentities = pgTable(
  'account_identities',
  {
    accountId: uuid()
      .primaryKey()
      .references(() => plaidAccounts.id),
    itemId: uuid()
      .notNull()
      .references(() => plaidItems.id),
    owners: jsonb().notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('account_identities_item_id_idx').on(table.itemId)],
);
`,
};

interface Block {
  lang: string;
  body: string;
}

/** The fenced blocks of the guide's "Adding a product" section, in order, with list indentation removed. */
function guideBlocks(markdown: string): Block[] {
  const start = markdown.indexOf('## Adding a product');
  const end = markdown.indexOf('### Size of the change', start);
  expect(start).toBeGreaterThan(0);
  const section = markdown.slice(start, end > 0 ? end : undefined);
  return [...section.matchAll(/^( *)```(\w*)\n([\s\S]*?)^\1```$/gm)].map((match) => {
    const indent = match[1]!.length;
    const body = match[3]!
      .split('\n')
      .map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length)))
      .join('\n');
    return { lang: match[2]!, body };
  });
}

function run(command: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, maxBuffer: 64 * 1024 * 1024, timeout: 400_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

async function must(command: string, args: string[], cwd: string): Promise<string> {
  const result = await run(command, args, cwd);
  expect(result.code, `${command} ${args.join(' ')}\n${result.stdout}${result.stderr}`).toBe(0);
  return result.stdout;
}

/** A scratch repository holding the tracked files as they are now, committed, sharing node_modules. */
async function scratchCopy(): Promise<string> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'plaid-sync-add-product-'));
  const tracked = await run('git', ['ls-files', '-z'], REPO_ROOT);
  if (tracked.code === 0) {
    for (const file of tracked.stdout.split('\0').filter(Boolean)) {
      await mkdir(path.dirname(path.join(scratch, file)), { recursive: true });
      await copyFile(path.join(REPO_ROOT, file), path.join(scratch, file)).catch((error: NodeJS.ErrnoException) => {
        // A tracked file deleted in the working tree is not part of the tree being measured.
        if (error.code !== 'ENOENT') throw error;
      });
    }
  } else {
    // A source tree without its repository (an exported archive): everything but what builds and installs make.
    const skipped = new Set(['node_modules', '.git', 'dist', 'coverage']);
    await cp(REPO_ROOT, scratch, { recursive: true, filter: (source) => !skipped.has(path.relative(REPO_ROOT, source).split(path.sep)[0]!) });
  }
  await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(scratch, 'node_modules'));
  await must('git', ['init', '-q'], scratch);
  await must('git', ['add', '-A'], scratch);
  await must('git', ['-c', 'user.name=scratch', '-c', 'user.email=scratch@localhost', 'commit', '-qm', 'before the product'], scratch);
  return scratch;
}

interface Counted {
  file: string;
  lines: number;
}

describe(`adding a product as ${GUIDE} says`, () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await scratchCopy();
  }, 120_000);
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it(`takes a generated migration and fewer than ${WIRING_BUDGET} changed lines outside the new module`, async () => {
    const started = Date.now();
    const blocks = guideBlocks(await readFile(path.join(scratch, GUIDE), 'utf8'));
    expect(blocks.filter((b) => b.lang === 'bash').map((b) => b.body.trim())).toEqual(['npx drizzle-kit generate --name identity_product', 'npx tsc --noEmit']);

    // Step 1: the new files. Then every diff and command of the guide, in its order.
    for (const [file, text] of Object.entries(NEW_FILES)) await writeFile(path.join(scratch, file), text);
    for (const [index, block] of blocks.entries()) {
      if (block.lang === 'diff') {
        const patch = path.join(scratch, `.guide-${index}.patch`);
        await writeFile(patch, block.body);
        await must('git', ['apply', '--recount', patch], scratch);
        await rm(patch);
      } else if (block.lang === 'bash') {
        await must('bash', ['-euo', 'pipefail', '-c', block.body], scratch);
      }
    }

    const migrations = (await must('git', ['ls-files', '--others', '--exclude-standard', 'drizzle'], scratch)).split('\n').filter((f) => f.endsWith('.sql'));
    expect(migrations).toHaveLength(1);
    const migration = await readFile(path.join(scratch, migrations[0]!), 'utf8');
    for (const constraint of ['accounts_product_check', 'sync_runs_product_check', 'sync_state_product_check']) {
      expect(migration).toContain(`ADD CONSTRAINT "${constraint}" CHECK (`);
    }
    expect(migration).toContain(`'liabilities', 'identity')`);
    expect(migration).toContain('CREATE TABLE "account_identities"');

    await must('git', ['add', '-A'], scratch);
    const numstat = await must('git', ['diff', '--cached', '--numstat'], scratch);
    const changed: Counted[] = numstat
      .trim()
      .split('\n')
      .map((line) => {
        const [added, deleted, file] = line.split('\t');
        return { file: file!, lines: Number(added) + Number(deleted) };
      });
    const isModule = (c: Counted) => c.file in NEW_FILES;
    // drizzle-kit's own state, regenerated whole for any schema change; not written or read by people.
    const isSnapshot = (c: Counted) => /^drizzle\/meta\/\d+_snapshot\.json$/.test(c.file);
    const wiring = changed.filter((c) => !isModule(c) && !isSnapshot(c));
    const total = (list: Counted[]) => list.reduce((sum, c) => sum + c.lines, 0);

    const report = [
      `module (new files): ${total(changed.filter(isModule))} lines in ${changed.filter(isModule).length} files`,
      `wiring outside the module, migration included: ${total(wiring)} lines in ${wiring.length} files`,
      ...wiring.map((c) => `  ${String(c.lines).padStart(3)}  ${c.file}`),
      `drizzle-kit snapshot (generated, not counted): ${total(changed.filter(isSnapshot))} lines`,
      `steps took ${Math.round((Date.now() - started) / 1000)} s`,
    ];
    process.stdout.write(`${report.join('\n')}\n`);
    expect(total(wiring)).toBeLessThan(WIRING_BUDGET);
  }, 600_000);
});
