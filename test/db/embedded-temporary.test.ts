import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { processAlive as alive, startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { freePort } from '../support/service-process.js';

const root = path.resolve(import.meta.dirname, '../..');

describe('an embedded PostgreSQL that belongs to one process’s run', { timeout: 120_000 }, () => {
  it('is stopped and its directory removed when that process is killed outright', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'plaid-sync-temporary-'));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/temporary-postgres.ts', dataDir, String(await freePort())], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      const { pid } = JSON.parse(line.toString()) as { pid: number };
      expect(alive(pid)).toBe(true);
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
      // The watcher looks for its owner once a second, then waits for the fast shutdown.
      await vi.waitFor(() => expect(alive(pid)).toBe(false), { timeout: 30_000, interval: 200 });
      await vi.waitFor(() => expect(existsSync(dataDir)).toBe(false), { timeout: 30_000, interval: 200 });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('is left alone while that process runs, and a normal stop leaves the watcher nothing to do', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'plaid-sync-temporary-'));
    try {
      const running = await startEmbeddedPostgres({ dataDir, port: await freePort(), database: 'postgres', temporaryFor: process.pid });
      expect(running.started).toBe(true);
      expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(true);
      await running.stop();
      // This process goes on, so its watcher does not act: the stopped cluster stays until removed.
      expect(existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
