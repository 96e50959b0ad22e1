import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

/**
 * Every benchmark at smoke size, so they keep working: only the shape of what each writes is
 * checked, never a time (these machines are shared; a timing assertion would be a coin toss).
 */
const root = path.resolve(import.meta.dirname, '../..');

const EXPECTED: Record<string, string[]> = {
  sync: ['transactions/s', '(a) fetch-only seconds', '(b) COPY-alone seconds', '(c) per-row upsert rows/s', 'efficiency', 'ratio to COPY alone', 'speed-up over per-row', 'ceiling: fetch-only over per-row'],
  memory: ['peak RSS MB, small', 'peak RSS MB, large', 'peak ratio large / small'],
  webhooks: ['one at a time: p50 ms', 'healthz requests/s', 'max: accepted/s', 'max: p50 ms', 'max: p99 ms', 'fixed: p50 ms', 'fixed: p99 ms', 'max: service CPU ms per webhook', 'max: PostgreSQL CPU ms per webhook', 'fixed: load generator CPU ms per webhook', 'drain: syncs/s', 'drain: PostgreSQL CPU ms per sync'],
  fanout: ['all synced seconds', 'items/s', 'service CPU ms per item', 'PostgreSQL CPU ms per item', 'simulator CPU ms per item', 'Plaid calls per item', '/accounts/get calls per item'],
  admin: ['default (status sort): p50 ms', 'default (status sort): p95 ms', 'worst p95 ms'],
};

const STATEMENT_PHASES: Record<string, string[]> = {
  webhooks: ['max', 'fixed', 'drain'],
  sync: ['sync (with the feed)'],
  fanout: ['fan-out (webhook and sync per item)'],
};

let resultsDir: string;
let exitCode: number | null;
let output = '';

beforeAll(async () => {
  resultsDir = await mkdtemp(path.join(tmpdir(), 'bench-smoke-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke'], {
    cwd: root,
    // The benchmarks create their databases on the test run's PostgreSQL server.
    env: { ...process.env, DATABASE_URL: inject('adminDatabaseUrl'), BENCH_RESULTS_DIR: resultsDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  exitCode = await new Promise((resolve) => child.on('exit', resolve));
  // One to two minutes on a quiet machine; the bound only catches a benchmark that hangs.
}, 420_000);

afterAll(async () => {
  await rm(resultsDir, { recursive: true, force: true });
});

describe('npm run bench -- --smoke', () => {
  it('runs every benchmark to the end', () => {
    expect(exitCode, output).toBe(0);
  });

  it.each(Object.entries(EXPECTED))('%s writes its JSON with the expected figures', async (name, figures) => {
    const result = JSON.parse(await readFile(path.join(resultsDir, `${name}.json`), 'utf8')) as Record<string, unknown>;
    expect(result).toMatchObject({ name, smoke: true, cpus: expect.any(Number), load: { before: expect.any(Array), after: expect.any(Array) } });
    const recorded = result.figures as Record<string, unknown>;
    for (const figure of figures) expect(typeof recorded[figure], `${name}: ${figure}`).toBe('number');
    for (const [figure, value] of Object.entries(recorded)) expect(Number.isFinite(value), `${name}: ${figure} = ${String(value)}`).toBe(true);
    expect(Object.keys(result.targets as object).every((figure) => figure in recorded)).toBe(true);
  });

  // The test server has no pg_stat_statements, so each phase says so instead of listing statements.
  it.each(Object.entries(STATEMENT_PHASES))('%s reports PostgreSQL per-statement time for %j, or why not', async (name, phases) => {
    const result = JSON.parse(await readFile(path.join(resultsDir, `${name}.json`), 'utf8')) as { statements: Record<string, Record<string, unknown>> };
    expect(Object.keys(result.statements).sort()).toEqual([...phases].sort());
    for (const phase of Object.values(result.statements)) {
      expect(phase).toMatchObject({ unit: expect.any(String), units: expect.any(Number) });
      if ('not available' in phase) expect(phase['not available']).toMatch(/^not available: /);
      else expect(phase).toMatchObject({ 'statement ms per unit': expect.any(Number), statements: expect.any(Array) });
    }
  });
});
