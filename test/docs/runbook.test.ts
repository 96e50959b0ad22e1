import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLegacyDatabase, type LegacyDatabase } from '../support/legacy-database.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RUNBOOK = 'docs/maintenance/product-account-backfill.md';

interface Step {
  command: string;
  /** The `text` block shown right after the command, if any: what it must print. */
  expected: string[] | undefined;
}

/** The runbook's `bash` blocks in order, each with the `text` block that follows it. */
function runbookSteps(markdown: string): Step[] {
  const blocks = [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({ lang: match[1], body: match[2]! }));
  const steps: Step[] = [];
  blocks.forEach((block, index) => {
    if (block.lang !== 'bash') return;
    const next = blocks[index + 1];
    steps.push({ command: block.body, expected: next?.lang === 'text' ? lines(next.body) : undefined });
  });
  return steps;
}

/** Output lines without npm's `> script` banner and blank lines. */
function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('> '));
}

/** `<n>` in the runbook stands for any number. */
function matches(actual: string, documented: string): boolean {
  const pattern = documented.split('<n>').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\d+');
  return new RegExp(`^${pattern}$`).test(actual);
}

function runShell(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-euo', 'pipefail', '-c', script], { cwd: REPO_ROOT, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** The service's environment in simulator mode, pointed at the scratch database. */
function commandEnv(databaseUrl: string, dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, DATA_DIR: dataDir };
  for (const name of ['PLAID_ENV', 'PLAID_CLIENT_ID', 'PLAID_SECRET', 'TOKEN_ENCRYPTION_KEY', 'API_TOKENS', 'ADMIN_PASSWORD']) delete env[name];
  return env;
}

/** The rows the runbook's example output describes: 2 accounts to transactions, 1 to investments. */
async function insertRunbookRows(database: LegacyDatabase): Promise<void> {
  const transactions = await database.insertItem('item-tx', 'transactions');
  const bare = await database.insertItem('item-bare', null);
  const investments = await database.insertItem('item-inv', 'investments');
  await database.insertAccount(transactions, 'acc-tx', null);
  await database.insertAccount(bare, 'acc-bare', null);
  await database.insertAccount(investments, 'acc-inv', null);
  await database.insertAccount(investments, 'acc-inv-set', 'investments');
}

describe(`${RUNBOOK}`, () => {
  let legacy: LegacyDatabase;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  const steps = runbookSteps(readFileSync(path.join(REPO_ROOT, RUNBOOK), 'utf8'));

  beforeAll(async () => {
    legacy = await createLegacyDatabase();
    await insertRunbookRows(legacy);
    dataDir = await mkdtemp(path.join(tmpdir(), 'plaid-sync-runbook-'));
    env = commandEnv(legacy.url, dataDir);
  });
  afterAll(async () => {
    await legacy?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('documents the dry run, the backfill, the migration and the verification, each with its output', () => {
    expect(steps.map((step) => step.command.trim())).toEqual([
      'npm run backfill:products -- --dry-run',
      'npm run backfill:products',
      'npm run db:migrate',
      'npm run backfill:products -- --verify',
    ]);
    for (const step of steps) expect(step.expected, step.command).toBeDefined();
  });

  it('rejects unknown and conflicting flags with the usage, and bad configuration per field', async () => {
    for (const flags of ['--force', '--dry-run --verify']) {
      const result = await runShell(`npm run backfill:products -- ${flags}`, env);
      expect(result.code, flags).not.toBe(0);
      expect(result.stderr, flags).toContain('usage: npm run backfill:products');
    }
    const badUrl = await runShell('npm run backfill:products -- --verify', { ...env, DATABASE_URL: 'mysql://db.example/app' });
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toContain('DATABASE_URL: must be a postgres:// or postgresql:// URL');
  }, 60_000);

  it('runs every command of the runbook in order and prints what the runbook shows', async () => {
    // Before the backfill, verification reports the three legacy accounts and fails.
    const before = await runShell('npm run backfill:products -- --verify', env);
    expect(lines(before.stdout)).toEqual(['accounts without a product: 3']);
    expect(before.code).toBe(1);

    for (const step of steps) {
      const result = await runShell(step.command, env);
      expect(result.code, `${step.command}\n${result.stderr}`).toBe(0);
      const printed = lines(result.stdout);
      const expected = step.expected ?? [];
      expect(printed.length, `${step.command} printed:\n${printed.join('\n')}`).toBe(expected.length);
      printed.forEach((line, index) => expect(matches(line, expected[index]!), `${step.command}: "${line}" vs "${expected[index]}"`).toBe(true));
    }
    expect(await legacy.accountProducts()).toEqual({
      'acc-bare': 'transactions',
      'acc-inv': 'investments',
      'acc-inv-set': 'investments',
      'acc-tx': 'transactions',
    });

    // As the runbook says, the backfill can be repeated and then changes nothing.
    const again = await runShell('npm run backfill:products', env);
    expect(again.code).toBe(0);
    expect(lines(again.stdout)[0]).toBe('backfilled: 0 accounts got a product');
  }, 150_000);
});
