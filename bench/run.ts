/**
 * Runs benchmarks: `npm run bench` runs every one, `npm run bench -- sync` one of them (arguments
 * after the name go to it), `--smoke` (or BENCH_SMOKE=1) runs tiny sizes. Each prints a table and
 * writes bench/results/<name>.json, with the load average before and after next to its figures.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isSmoke } from './support/bench-options.js';
import { printTable, type BenchResult } from './support/bench-result.js';
import { interruptedBy, stopOnSignals } from './support/interrupt.js';

type Bench = (argv: string[]) => Promise<BenchResult>;

const BENCHES: Record<string, () => Promise<Bench>> = {
  sync: async () => (await import('./sync.js')).run,
  memory: async () => (await import('./memory.js')).run,
  webhooks: async () => (await import('./webhooks.js')).run,
  fanout: async () => (await import('./fanout.js')).run,
  admin: async () => (await import('./admin-list.js')).run,
  changes: async () => (await import('./changes.js')).run,
};

const args = process.argv.slice(2).filter((arg) => arg !== '--smoke');
if (args.length !== process.argv.length - 2) process.env.BENCH_SMOKE = '1';
const [name, ...rest] = args;
const selected = name === undefined ? Object.keys(BENCHES) : [name];
const unknown = selected.filter((n) => !(n in BENCHES));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}

// Interrupted (Ctrl+C, SIGTERM), a benchmark still stops the service and database it started.
stopOnSignals();
const resultsDir = process.env.BENCH_RESULTS_DIR ?? fileURLToPath(new URL('./results/', import.meta.url));
await mkdir(resultsDir, { recursive: true });
async function runSelected(): Promise<void> {
  for (const bench of selected) {
    const loadBefore = loadavg();
    const result = await (await BENCHES[bench]!())(name === undefined ? [] : rest);
    const load = { before: loadBefore.map((l) => Number(l.toFixed(2))), after: loadavg().map((l) => Number(l.toFixed(2))) };
    printTable(result);
    console.log(`load average (1, 5, 15 min) before ${load.before.join(' ')}, after ${load.after.join(' ')}; ${cpus().length} CPUs`);
    const file = path.join(resultsDir, `${bench}.json`);
    const record = { ...result, smoke: isSmoke(), load, cpus: cpus().length, node: process.version, at: new Date().toISOString() };
    await writeFile(file, `${JSON.stringify(record, null, 2)}\n`);
    console.log(`written ${path.relative(process.cwd(), file)}`);
  }
}

try {
  await runSelected();
} catch (error) {
  // Interrupted, the benchmark fails because its service went; the signal's handler exits.
  if (!interruptedBy()) throw error;
}
