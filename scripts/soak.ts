/**
 * `npm run soak`: the resilience tests at their full sizes (25 SIGKILLs, 200 items under Plaid
 * faults, 10,000 forged webhooks and 5,000 malformed requests, a 10 s database outage, 20 items
 * through crashes), one file at a time, then a summary of the figures each printed. The bounded
 * versions of the same files run in `npm test`. Results are described in docs/reliability.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const dir = mkdtempSync(path.join(tmpdir(), 'plaid-sync-soak-'));
const results = path.join(dir, 'results.jsonl');
const files = process.argv.slice(2);
const started = Date.now();
const run = spawnSync('npx', ['vitest', 'run', '--no-file-parallelism', ...(files.length > 0 ? files : ['test/resilience'])], {
  stdio: 'inherit',
  env: { ...process.env, RESILIENCE_SOAK: '1', RESILIENCE_RESULTS: results },
});
let lines: string[] = [];
try {
  lines = readFileSync(results, 'utf8').split('\n').filter((line) => line !== '');
} catch {
  // No test got as far as printing its figures.
}
process.stdout.write(`\nsoak finished in ${Math.round((Date.now() - started) / 1000)} s with exit code ${run.status}\n`);
for (const line of lines) process.stdout.write(`${line}\n`);
rmSync(dir, { recursive: true, force: true });
process.exit(run.status ?? 1);
