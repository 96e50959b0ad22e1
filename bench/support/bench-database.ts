import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { runMigrations } from '../../src/db/migrations.js';
import { stopIfInterrupted } from './interrupt.js';

export interface BenchDatabase {
  url: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * BENCH_PG_SETTINGS="name=value;name=value": settings for the embedded server, for investigations
 * (say `synchronous_commit=off` or `autovacuum=off`); a malformed entry stops the benchmark.
 */
export function benchServerSettings(text = process.env.BENCH_PG_SETTINGS ?? ''): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const entry of text.split(';').map((part) => part.trim()).filter(Boolean)) {
    const match = /^([a-z_][a-z0-9_.]*)=(.+)$/i.exec(entry);
    if (!match) throw new Error(`BENCH_PG_SETTINGS: expected name=value, got "${entry}"`);
    settings[match[1]!] = match[2]!.trim();
  }
  return settings;
}

/**
 * A fresh, migrated database for one benchmark: on DATABASE_URL's server when set, else on an
 * embedded PostgreSQL in a temporary directory, started with pg_stat_statements loaded. Dropped (and the server stopped) by `stop()`.
 * Its `url` reaches the embedded server as `npm start`'s service does, through the server's Unix
 * socket (`BENCH_DATABASE_TCP=1`: over TCP instead, for a comparison).
 */
export async function benchDatabase(prefix: string): Promise<BenchDatabase> {
  const name = `bench_${prefix}_${randomBytes(4).toString('hex')}`;
  let serverUrl = process.env.DATABASE_URL;
  let connectUrl: string | undefined;
  let stopServer = async () => {};
  if (!serverUrl) {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'plaid-sync-bench-'));
    // pg_stat_statements gives each benchmark its per-statement figures (statement-stats.ts).
    const embedded = await startEmbeddedPostgres({
      dataDir,
      port: await freePort(),
      database: 'postgres',
      settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track_planning': 'on', ...benchServerSettings() },
      // Even a benchmark killed outright (SIGKILL: no handler runs) takes its server with it.
      temporaryFor: process.pid,
    });
    serverUrl = embedded.url;
    if (process.env.BENCH_DATABASE_TCP !== '1') connectUrl = embedded.socketUrl;
    stopServer = async () => {
      await embedded.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const cleanup = postgres(serverUrl, { max: 1, onnotice: () => undefined });
      try {
        await cleanup.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await cleanup.end();
        await stopServer();
      }
    })());
  const forget = stopIfInterrupted(stop);
  const url = new URL(connectUrl ?? serverUrl);
  url.pathname = `/${name}`;
  try {
    const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
    try {
      await admin.unsafe(`create database ${name}`);
    } finally {
      await admin.end();
    }
    await runMigrations(url.toString());
  } catch (error) {
    // The caller gets no handle to stop: the server it would have left running is stopped here.
    forget();
    await stop().catch(() => undefined);
    throw error;
  }
  return {
    url: url.toString(),
    async stop() {
      forget();
      await stop();
    },
  };
}
