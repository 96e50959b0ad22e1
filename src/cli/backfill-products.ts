import { parseArgs } from 'node:util';
import { ConfigError } from '../config/config-error.js';
import { loadConfig } from '../config/load-config.js';
import { connectDatabase, type Database } from '../db/client.js';
import { startEmbeddedPostgres } from '../db/embedded-postgres.js';
import {
  applyProductBackfill,
  countAccountsWithoutProduct,
  LEGACY_PRODUCTS,
  planProductBackfill,
  type ProductBackfillCounts,
} from '../services/product-backfill.js';

const USAGE = `usage: npm run backfill:products [-- --dry-run | --verify]
  (no flag)   set the product of every account without one, and print the counts
  --dry-run   print, per product, how many accounts would be set; change nothing
  --verify    print the number of accounts without a product; exit 1 unless it is 0`;

class UsageError extends Error {}

function mode(args: string[]): 'apply' | 'dry-run' | 'verify' {
  let values: { 'dry-run'?: boolean; verify?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { 'dry-run': { type: 'boolean' }, verify: { type: 'boolean' } }, strict: true }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values['dry-run'] && values.verify) throw new UsageError('--dry-run and --verify cannot be combined');
  return values['dry-run'] ? 'dry-run' : values.verify ? 'verify' : 'apply';
}

function formatCounts(counts: ProductBackfillCounts): string {
  const width = Math.max(...LEGACY_PRODUCTS.map((product) => product.length));
  return LEGACY_PRODUCTS.map((product) => `  ${product.padEnd(width)}  ${counts.byProduct[product]}\n`).join('');
}

/** Runs one mode and returns the exit code. */
async function run(db: Database, selected: ReturnType<typeof mode>): Promise<number> {
  if (selected === 'verify') {
    const missing = await countAccountsWithoutProduct(db);
    process.stdout.write(`accounts without a product: ${missing}\n`);
    return missing === 0 ? 0 : 1;
  }
  if (selected === 'dry-run') {
    const plan = await planProductBackfill(db);
    process.stdout.write(`dry run: ${plan.total} accounts would get a product\n${formatCounts(plan)}`);
    return 0;
  }
  const applied = await applyProductBackfill(db);
  process.stdout.write(`backfilled: ${applied.total} accounts got a product\n${formatCounts(applied)}`);
  return 0;
}

/** `npm run backfill:products`: against DATABASE_URL, or the embedded database like `npm run db:migrate`. */
async function main(): Promise<number> {
  const selected = mode(process.argv.slice(2));
  const { config } = await loadConfig();
  const embedded =
    config.databaseUrl === undefined
      ? await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPostgresPort })
      : undefined;
  const database = connectDatabase(config.databaseUrl ?? embedded!.url, { max: 1, applicationName: 'plaid-sync-backfill' });
  try {
    return await run(database.db, selected);
  } finally {
    await database.close();
    if (embedded?.started) await embedded.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    if (error instanceof UsageError) process.stderr.write(`${error.message}\n${USAGE}\n`);
    else process.stderr.write(`${error instanceof ConfigError ? error.message : `backfill failed: ${error.message}`}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
