import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { leftovers, processesNaming } from '../support/leftover-processes.js';
import { prng } from '../support/resilience-processes.js';
import { freePort } from '../support/service-process.js';

/**
 * Ctrl+C at any instant of a first start (initdb included) or of the shutdown that follows must stop
 * everything already started. Each case is a real `src/main.ts` on a fresh DATA_DIR, interrupted the
 * way a terminal does it: SIGINT to the whole process group. Instants are anchored to start-up events
 * and drawn at random (seeded) over the measured length of a first start.
 */
const SEED = Number(process.env.INTERRUPT_SEED ?? 18);
const RANDOM_INSTANTS = Number(process.env.INTERRUPT_INSTANTS ?? 4);
const root = path.resolve(import.meta.dirname, '../..');
/** One first start and its stop, on a machine whose cores other test files share. */
const CASE_TIMEOUT_MS = 240_000;

const dirs: string[] = [];
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  // A failed case may have left a PostgreSQL: stop it by its pid so the next run starts clean.
  for (const dir of dirs) {
    for (const line of await processesNaming(dir)) process.kill(Number(line.split(':')[0]), 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

interface Run {
  child: ChildProcess;
  dataDir: string;
  base: string;
  output(): string;
  /** Resolves when the output matches. */
  waitFor(pattern: RegExp): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  ctrlC(signal?: NodeJS.Signals): void;
}

async function firstStart(): Promise<Run> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'plaid-sync-interrupt-'));
  dirs.push(dataDir);
  const env = {
    PATH: process.env.PATH,
    DATA_DIR: dataDir,
    PORT: String(await freePort()),
    EMBEDDED_POSTGRES_PORT: String(await freePort()),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    SHUTDOWN_TIMEOUT_MS: '2000',
  };
  // A process group of its own, so the test can signal the group as a terminal's Ctrl+C does.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  let text = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const waiter of waiters.filter((w) => w.pattern.test(text))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    dataDir,
    base: `http://127.0.0.1:${env.PORT}`,
    output: () => text,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        if (pattern.test(text)) return resolve();
        waiters.push({ pattern, resolve });
        void exited.then(() => reject(new Error(`exited before ${pattern}:\n${text}`)));
      }),
    exited,
    ctrlC: (signal = 'SIGINT') => process.kill(-child.pid!, signal),
  };
}

/** Polls /readyz until its first 200 (the issue: Ctrl+C at that moment left PostgreSQL running). */
async function untilReady(run: Run): Promise<void> {
  while (run.child.exitCode === null) {
    const status = await fetch(`${run.base}/readyz`).then((res) => res.status, () => 0);
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`exited before ready:\n${run.output()}`);
}

/** The process ended by the stop it was asked for, and left nothing behind. */
async function expectCleanStop(run: Run): Promise<void> {
  const { code, signal } = await run.exited;
  // Before `main.ts` has installed its handlers nothing is started yet, and node's default SIGINT ends it.
  expect(code === 0 || signal === 'SIGINT', `exit ${code} ${signal}:\n${run.output()}`).toBe(true);
  expect(await leftovers(run.dataDir), run.output()).toEqual([]);
}

describe(`Ctrl+C during a first start or its shutdown (seed ${SEED})`, () => {
  let readyAfterMs = 0;

  it('right after /readyz first answers 200', async () => {
    const started = Date.now();
    const run = await firstStart();
    await untilReady(run);
    readyAfterMs = Date.now() - started;
    run.ctrlC();
    await expectCleanStop(run);
    expect(run.output()).toContain('"shutdown_complete"');
  }, CASE_TIMEOUT_MS);

  const anchors: [string, RegExp][] = [
    ['while initdb runs', /initialising embedded PostgreSQL/],
    ['once the simulator listens (queue and workers starting)', /"simulator_started"/],
    ['while the demo items are being linked', /"item_linked"/],
  ];
  for (const [name, pattern] of anchors) {
    it(name, async () => {
      const run = await firstStart();
      await run.waitFor(pattern);
      run.ctrlC();
      await expectCleanStop(run);
      expect(run.output()).not.toContain('"service_started"');
    }, CASE_TIMEOUT_MS);
  }

  const random = prng(SEED);
  const fractions = Array.from({ length: RANDOM_INSTANTS }, () => random() * 1.1);
  for (const fraction of fractions) {
    it(`at ${Math.round(fraction * 100)}% of a first start`, async () => {
      expect(readyAfterMs).toBeGreaterThan(0);
      const run = await firstStart();
      await new Promise((resolve) => setTimeout(resolve, fraction * readyAfterMs));
      run.ctrlC();
      await expectCleanStop(run);
    }, CASE_TIMEOUT_MS);
  }

  it('again during the shutdown: a deliberate second signal skips the drain but still stops PostgreSQL', async () => {
    const run = await firstStart();
    await untilReady(run);
    run.ctrlC();
    await run.waitFor(/"shutdown_started"/);
    // Later than a repeated Ctrl+C (ignored), so it counts as a second request, if the drain still runs.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    if (run.child.exitCode === null) run.ctrlC('SIGTERM');
    const { code } = await run.exited;
    expect([0, 1]).toContain(code);
    expect(await leftovers(run.dataDir)).toEqual([]);
  }, CASE_TIMEOUT_MS);
});
