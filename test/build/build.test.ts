import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmptyDatabase } from '../support/database.js';
import { freePort } from '../support/service-process.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

// The build is bundled into a directory outside the checkout, with only node_modules beside it: a
// file the bundles still read from src/ or drizzle/ of the checkout would be missed there.
let work: string;
let dist: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'plaid-sync-build-'));
  dist = path.join(work, 'dist');
  await symlink(path.join(root, 'node_modules'), path.join(work, 'node_modules'));
  await run(process.execPath, ['--import', 'tsx', 'scripts/build.ts', '--outdir', dist], { cwd: root });
}, 120_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await rm(work, { recursive: true, force: true });
});

function node(script: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [path.join(dist, script)], {
    cwd: work,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return child;
}

function finished(child: ChildProcess): Promise<{ code: number | null; output: string }> {
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

describe('the production build (node dist/*.js)', () => {
  it('migrates a database with the migrate CLI, then serves /readyz, the admin assets and a SIGTERM exit 0', async () => {
    const database = await createEmptyDatabase();
    try {
      const env = { DATABASE_URL: database.url, DATA_DIR: path.join(work, 'data'), HOST: '127.0.0.1' };
      const migrated = await finished(node('migrate.js', env));
      expect(migrated.output).toMatch(/migrations applied: \d+ in total/);
      expect(migrated.code).toBe(0);

      const port = await freePort();
      const service = node('main.js', { ...env, PORT: String(port) });
      const exit = finished(service);
      const url = `http://127.0.0.1:${port}`;
      await new Promise<void>((resolve, reject) => {
        let text = '';
        const onData = (chunk: Buffer) => {
          text += chunk.toString();
          if (text.includes('"service_started"')) resolve();
        };
        service.stdout!.on('data', onData);
        service.stderr!.on('data', onData);
        void exit.then(({ code }) => reject(new Error(`service exited with ${code} before starting:\n${text}`)));
      });

      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', checks: { migrations: 'current' } });
      for (const asset of ['htmx.min.js', 'admin.js', 'admin.css']) {
        const response = await fetch(`${url}/admin/static/${asset}`);
        expect(response.status, asset).toBe(200);
        expect((await response.text()).length, asset).toBeGreaterThan(100);
      }

      service.kill('SIGTERM');
      expect((await exit).code).toBe(0);
    } finally {
      await database.drop();
    }
  }, 180_000);

  it('runs the standalone simulator CLI, which answers in the Plaid error shape and stops on SIGTERM', async () => {
    const port = await freePort();
    const cli = spawn(process.execPath, [path.join(dist, 'simulator.js'), '--port', String(port)], {
      cwd: work,
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(cli);
    const exit = finished(cli);
    await new Promise<void>((resolve, reject) => {
      cli.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('listening')) resolve();
      });
      void exit.then(({ output }) => reject(new Error(`simulator exited before listening:\n${output}`)));
    });
    const response = await fetch(`http://127.0.0.1:${port}/no/such/route`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error_code: 'NOT_FOUND' });
    cli.kill('SIGTERM');
    expect((await exit).code).toBe(0);
  });
});
