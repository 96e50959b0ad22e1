import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { processAlive as alive } from '../../src/db/embedded-postgres.js';

const root = path.resolve(import.meta.dirname, '../..');

/** Starts the stand-in on an embedded PostgreSQL; resolves with its data directory and the server's pid. */
async function startInterruptible() {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/interrupted-bench.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [line] = (await Promise.race([
    once(child.stdout, 'data'),
    once(child, 'exit').then(() => {
      throw new Error(`the stand-in exited before its database was up:\n${stderr}`);
    }),
  ])) as [Buffer];
  const { url } = JSON.parse(line.toString()) as { url: string };
  // The embedded server's socket directory is its data directory (`?host=...`), inside the temporary one.
  const pgdata = new URL(url).searchParams.get('host')!;
  const pid = Number(readFileSync(path.join(pgdata, 'postmaster.pid'), 'utf8').split('\n')[0]);
  return { child, pgdata, tmp: path.dirname(pgdata), pid, stderr: () => stderr };
}

describe('an interrupted benchmark', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`stops its embedded PostgreSQL and removes its directory on ${signal}, then exits ${code}`, async () => {
      const run = await startInterruptible();
      expect(alive(run.pid)).toBe(true);
      expect(existsSync(run.tmp)).toBe(true);
      const exited = once(run.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      run.child.kill(signal);
      const [exitCode] = await exited;
      expect(exitCode).toBe(code);
      expect(run.stderr()).toContain(`${signal}: stopping the benchmark's service and database`);
      expect(alive(run.pid)).toBe(false);
      expect(existsSync(run.tmp)).toBe(false);
    }, 60_000);
  }
});
