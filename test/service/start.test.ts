import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { processAlive as alive } from '../../src/db/embedded-postgres.js';
import { DEMO_ITEM_COUNT } from '../../src/simulator-demo/seed-demo-items.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { leftovers, postmasterPid } from '../support/leftover-processes.js';

const root = path.resolve(import.meta.dirname, '../..');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** The banner's last line: every start in this file is zero-configuration, so every one prints it. */
const BANNER_END = 'Stop with Ctrl+C.';

/** Every process started, so a case that fails or times out half-way leaves none running. */
const spawned: ChildProcess[] = [];

/**
 * Starts the service as `npm start` does and resolves once it has logged that it started (stdout) and
 * printed the banner (stderr). Two pipes: either can reach this process first.
 */
function startService(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.push(child);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"service_started"') && output.includes(BANNER_END)) resolve({ child, output: () => output, exited });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`service exited with ${code} before starting:\n${output}`)));
  });
}

/** A start expected to fail: its exit code and what it wrote. */
function failedStart(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/**
 * `/readyz` once it answers 200, or its last answer after `withinMs`. Right after start-up the probe's
 * first database question opens a connection; on a machine loaded by the other test files that can
 * outlast the probe's 1 s deadline, and the honest answer is then 503 until the next probe.
 */
async function readyStatus(base: string, withinMs = 30_000): Promise<number> {
  const until = Date.now() + withinMs;
  for (;;) {
    const status = await fetch(`${base}/readyz`).then((res) => res.status, () => 0);
    if (status === 200 || Date.now() >= until) return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Polls /readyz from the moment of the call; resolves with what `atFirstReady` found when it first answered 200. */
async function whenFirstReady<T>(base: string, atFirstReady: () => Promise<T>): Promise<T> {
  await readyStatus(base, Number.POSITIVE_INFINITY);
  return atFirstReady();
}

function databaseUrl(password: string, port: string) {
  return `postgres://postgres:${password}@127.0.0.1:${port}/plaid_sync`;
}

/** Each case starts the service (and PostgreSQL) up to three times; other test files share the cores. */
const START_TEST_TIMEOUT_MS = 120_000;

// Each test starts the service (and PostgreSQL) as a child process, some of them twice: tens of
// seconds on a loaded machine.
describe('zero-configuration start on embedded PostgreSQL', { timeout: 120_000 }, () => {
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'plaid-sync-start-'));
    env = { DATA_DIR: dataDir, PORT: String(await freePort()), EMBEDDED_POSTGRES_PORT: String(await freePort()), LOG_LEVEL: 'info' };
  });
  // A case that fails half-way leaves its service running: stopped here, so the next case does not
  // find the port and the DATA_DIR taken and fail for that instead of for itself.
  afterEach(stopSpawned);
  afterAll(async () => {
    await stopSpawned();
    await rm(dataDir, { recursive: true, force: true });
  });
  async function stopSpawned() {
    // SIGINT first: the service then stops its PostgreSQL too.
    const running = spawned.filter((child) => child.exitCode === null && child.signalCode === null);
    await Promise.all(
      running.map(
        (child) =>
          new Promise<void>((resolve) => {
            const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
            child.once('exit', () => (clearTimeout(force), resolve()));
            child.kill('SIGINT');
          }),
      ),
    );
  }

  it('starts, is ready only once the demo items are linked, prints the banner and stops PostgreSQL on SIGINT', async () => {
    const started = Date.now();
    const base = `http://127.0.0.1:${env.PORT}`;
    const starting = startService(env);
    // The issue: /readyz said ready while the demo items were still being linked.
    const itemsAtFirstReady = whenFirstReady(base, async () => {
      const password = (await readFile(path.join(dataDir, 'postgres-password'), 'utf8')).trim();
      const sql = postgres(databaseUrl(password, env.EMBEDDED_POSTGRES_PORT!), { max: 1, onnotice: () => undefined });
      const [row] = await sql<{ items: number }[]>`select count(*)::int as items from plaid_items`;
      await sql.end();
      return row!.items;
    });
    const service = await starting;
    expect(await itemsAtFirstReady).toBe(DEMO_ITEM_COUNT);
    // The service's own connections (its pool, pg-boss's, the simulator's) come through the cluster's
    // Unix socket, which pg_stat_activity shows as no client address; this one is over TCP.
    const password = (await readFile(path.join(dataDir, 'postgres-password'), 'utf8')).trim();
    const observer = postgres(databaseUrl(password, env.EMBEDDED_POSTGRES_PORT!), { max: 1, onnotice: () => undefined });
    const connections = await observer<{ application_name: string; tcp: boolean }[]>`
      select application_name, client_addr is not null as tcp from pg_stat_activity
      where backend_type = 'client backend' and pid <> pg_backend_pid()`;
    await observer.end();
    expect(connections.length).toBeGreaterThan(0);
    expect(connections.filter((connection) => connection.tcp)).toEqual([]);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(START_TEST_TIMEOUT_MS);

    const secrets = JSON.parse(await readFile(path.join(dataDir, 'dev-secrets.json'), 'utf8'));
    expect(service.output()).toContain('plaid-sync is ready, in simulator mode');
    expect(service.output()).toContain(`password: ${secrets.adminPassword}`);
    expect(service.output()).toContain(secrets.apiToken);
    // Readiness probes are routine: at LOG_LEVEL=info they leave no line.
    expect(service.output()).not.toContain('"path":"/readyz"');

    const pid = await postmasterPid(dataDir);
    expect(pid).toBeDefined();
    service.child.kill('SIGINT');
    expect(await service.exited).toBe(0);
    expect(alive(pid!)).toBe(false);
    expect(await leftovers(dataDir)).toEqual([]);
  }, START_TEST_TIMEOUT_MS);

  it('reuses the same data on the next start and prints the banner, password included, again', async () => {
    const first = await startService(env);
    const password = (await readFile(path.join(dataDir, 'postgres-password'), 'utf8')).trim();
    const url = databaseUrl(password, env.EMBEDDED_POSTGRES_PORT!);
    const sql = postgres(url, { max: 1, onnotice: () => undefined });
    await sql`create table if not exists restart_marker (note text)`;
    await sql`insert into restart_marker values ('kept')`;
    await sql.end();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = await startService(env);
    const secrets = JSON.parse(await readFile(path.join(dataDir, 'dev-secrets.json'), 'utf8'));
    expect(second.output()).toContain('plaid-sync is ready, in simulator mode');
    expect(second.output()).toContain(`admin page   http://127.0.0.1:${env.PORT}/admin   password: ${secrets.adminPassword}`);
    expect(second.output()).toContain(path.join(dataDir, 'dev-secrets.json'));
    const again = postgres(url, { max: 1, onnotice: () => undefined });
    expect(await again`select note from restart_marker`).toEqual([{ note: 'kept' }]);
    await again.end();
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    expect(await leftovers(dataDir)).toEqual([]);
  }, START_TEST_TIMEOUT_MS);

  it('recovers after a crash: reuses a server left running, and clears a stale lock', async () => {
    const crashed = await startService(env);
    const pid = await postmasterPid(dataDir);
    crashed.child.kill('SIGKILL');
    await crashed.exited;
    expect(alive(pid!)).toBe(true);

    const reusing = await startService(env);
    expect(reusing.output()).toContain('reusing the embedded PostgreSQL');
    expect(await readyStatus(`http://127.0.0.1:${env.PORT}`)).toBe(200);
    reusing.child.kill('SIGINT');
    expect(await reusing.exited).toBe(0);

    // A lock file naming a process that no longer exists, as after a power cut.
    const lock = path.join(dataDir, 'postgres', 'postmaster.pid');
    await writeFile(lock, `999999\n${path.join(dataDir, 'postgres')}\n0\n${env.EMBEDDED_POSTGRES_PORT}\n`);
    const recovered = await startService(env);
    expect(await readyStatus(`http://127.0.0.1:${env.PORT}`)).toBe(200);
    recovered.child.kill('SIGINT');
    expect(await recovered.exited).toBe(0);
  }, START_TEST_TIMEOUT_MS);

  it('refuses a second instance on the same DATA_DIR with one line, leaving the first one and its database alone', async () => {
    const first = await startService(env);
    const pid = await postmasterPid(dataDir);
    const second = await failedStart({ ...env, PORT: String(await freePort()) });
    expect(second.code).toBe(1);
    expect(second.stderr.trim()).toBe(
      `plaid-sync: DATA_DIR ${dataDir} is in use by another plaid-sync (pid ${first.child.pid} on port ${env.PORT}): stop that one first, or give this one a DATA_DIR of its own`,
    );
    expect(alive(pid!)).toBe(true);
    expect(await readyStatus(`http://127.0.0.1:${env.PORT}`)).toBe(200);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(await leftovers(dataDir)).toEqual([]);
  }, START_TEST_TIMEOUT_MS);

  it('says in one line that PORT is in use, and leaves nothing running (PostgreSQL never starts)', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(Number(env.PORT), '0.0.0.0', resolve));
    try {
      const result = await failedStart(env);
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(`plaid-sync: port ${env.PORT} is in use (PORT): stop what listens on it, or set PORT to a free port`);
      expect(result.stdout).not.toContain('embedded-postgres');
      expect(await leftovers(dataDir)).toEqual([]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, START_TEST_TIMEOUT_MS);

  it('says in one line that EMBEDDED_POSTGRES_PORT is in use, and releases what it had taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(Number(env.EMBEDDED_POSTGRES_PORT), '127.0.0.1', resolve));
    try {
      const result = await failedStart(env);
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(
        `plaid-sync: port ${env.EMBEDDED_POSTGRES_PORT} is in use (EMBEDDED_POSTGRES_PORT): stop what listens on it, or set EMBEDDED_POSTGRES_PORT to a free port`,
      );
      expect(await leftovers(dataDir)).toEqual([]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, START_TEST_TIMEOUT_MS);

  // Only root hits it: the embedded PostgreSQL then runs as the postgres user (not root: skipped).
  it.skipIf(process.getuid?.() !== 0)('explains a DATA_DIR the postgres user cannot reach, instead of initdb\'s "Permission denied"', async () => {
    const parent = await mkdtemp(path.join(tmpdir(), 'plaid-sync-private-'));
    try {
      await chmod(parent, 0o700);
      const blocked = path.join(parent, 'data');
      const result = await failedStart({ ...env, DATA_DIR: blocked });
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(
        `plaid-sync: DATA_DIR ${blocked} is inside ${parent}, which the postgres user cannot enter (as root, the embedded PostgreSQL runs as postgres): ` +
          'set DATA_DIR to a directory outside it (e.g. /var/lib/plaid-sync), or run plaid-sync as another user',
      );
      expect(result.stderr).not.toMatch(/Permission denied/i);
      expect(await leftovers(blocked)).toEqual([]);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  }, START_TEST_TIMEOUT_MS);
});
