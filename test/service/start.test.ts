import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { processAlive as alive } from '../../src/db/embedded-postgres.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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

/** Starts the service as `npm start` does and resolves once it logs that it is listening. */
/** Every process started, so a case that fails or times out half-way leaves none running. */
const spawned: ChildProcess[] = [];

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
      if (output.includes('"service_started"')) resolve({ child, output: () => output, exited });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`service exited with ${code} before starting:\n${output}`)));
  });
}

async function postmasterPid(dataDir: string): Promise<number | undefined> {
  const text = await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : Number(text.split('\n')[0]);
}


/** Each case starts the service (and PostgreSQL) up to three times; other test files share the cores. */
const START_TEST_TIMEOUT_MS = 120_000;

describe('zero-configuration start on embedded PostgreSQL', () => {
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'plaid-sync-start-'));
    env = { DATA_DIR: dataDir, PORT: String(await freePort()), EMBEDDED_POSTGRES_PORT: String(await freePort()), LOG_LEVEL: 'info' };
  });
  afterAll(async () => {
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
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts, answers health and readiness, prints dev secrets once and stops PostgreSQL on SIGINT', async () => {
    const started = Date.now();
    const service = await startService(env);
    const base = `http://127.0.0.1:${env.PORT}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(service.output()).toContain('generated development secrets');

    const secrets = JSON.parse(await readFile(path.join(dataDir, 'dev-secrets.json'), 'utf8'));
    expect(service.output()).toContain(secrets.apiToken);

    const pid = await postmasterPid(dataDir);
    expect(pid).toBeDefined();
    service.child.kill('SIGINT');
    expect(await service.exited).toBe(0);
    expect(alive(pid!)).toBe(false);
    expect(await postmasterPid(dataDir)).toBeUndefined();
  }, START_TEST_TIMEOUT_MS);

  it('reuses the same data on the next start and does not print the secrets again', async () => {
    const first = await startService(env);
    const password = (await readFile(path.join(dataDir, 'postgres-password'), 'utf8')).trim();
    const url = `postgres://postgres:${password}@127.0.0.1:${env.EMBEDDED_POSTGRES_PORT}/plaid_sync`;
    const sql = postgres(url, { max: 1, onnotice: () => undefined });
    await sql`create table if not exists restart_marker (note text)`;
    await sql`insert into restart_marker values ('kept')`;
    await sql.end();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = await startService(env);
    expect(second.output()).not.toContain('generated development secrets');
    const again = postgres(url, { max: 1, onnotice: () => undefined });
    expect(await again`select note from restart_marker`).toEqual([{ note: 'kept' }]);
    await again.end();
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  }, START_TEST_TIMEOUT_MS);

  it('recovers after a crash: reuses a server left running, and clears a stale lock', async () => {
    const crashed = await startService(env);
    const pid = await postmasterPid(dataDir);
    crashed.child.kill('SIGKILL');
    await crashed.exited;
    expect(alive(pid!)).toBe(true);

    const reusing = await startService(env);
    expect(reusing.output()).toContain('reusing the embedded PostgreSQL');
    expect((await fetch(`http://127.0.0.1:${env.PORT}/readyz`)).status).toBe(200);
    reusing.child.kill('SIGINT');
    expect(await reusing.exited).toBe(0);

    // A lock file naming a process that no longer exists, as after a power cut.
    const lock = path.join(dataDir, 'postgres', 'postmaster.pid');
    await writeFile(lock, `999999\n${path.join(dataDir, 'postgres')}\n0\n${env.EMBEDDED_POSTGRES_PORT}\n`);
    const recovered = await startService(env);
    expect((await fetch(`http://127.0.0.1:${env.PORT}/readyz`)).status).toBe(200);
    recovered.child.kill('SIGINT');
    expect(await recovered.exited).toBe(0);
  }, START_TEST_TIMEOUT_MS);
});
