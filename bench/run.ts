/**
 * Runs benchmarks: `npm run bench` runs every known one, `npm run bench -- sync` one of them
 * (arguments after the name go to it). Each prints a table and writes its JSON to bench/results/.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable, type BenchResult } from './support/bench-result.js';

type Bench = (argv: string[]) => Promise<BenchResult>;

const BENCHES: Record<string, () => Promise<Bench>> = {
  sync: async () => (await import('./sync.js')).run,
};

const [name, ...rest] = process.argv.slice(2);
const selected = name === undefined ? Object.keys(BENCHES) : [name];
const unknown = selected.filter((n) => !(n in BENCHES));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
await mkdir(resultsDir, { recursive: true });
for (const bench of selected) {
  const result = await (await BENCHES[bench]!())(name === undefined ? [] : rest);
  printTable(result);
  const file = path.join(resultsDir, `${bench}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify({ ...result, node: process.version, at: new Date().toISOString() }, null, 2)}\n`);
  console.log(`written ${path.relative(process.cwd(), file)}`);
}
