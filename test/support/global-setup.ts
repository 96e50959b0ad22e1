import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { runMigrations } from '../../src/db/migrations.js';

export const TEMPLATE_DATABASE = 'plaid_sync_template';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the server's maintenance database; test files clone their own database from the template. */
    adminDatabaseUrl: string;
    /** The same through the embedded server's Unix socket (none with TEST_DATABASE_URL). */
    adminSocketUrl: string | undefined;
    templateDatabase: string;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * One PostgreSQL for the whole run: the embedded one, or the server in TEST_DATABASE_URL (used by CI
 * to prove the suite on a second PostgreSQL). A template database is migrated once; each test file
 * clones it, so files run in parallel and never see each other's rows.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let adminUrl = process.env.TEST_DATABASE_URL;
  let socketUrl: string | undefined;
  let cleanup = async () => {};
  if (!adminUrl) {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'plaid-sync-test-'));
    // Test files run in parallel and some start whole service processes, each with its own pools.
    const embedded = await startEmbeddedPostgres({
      dataDir,
      port: await freePort(),
      database: 'postgres',
      settings: { max_connections: '400', fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
      // A Ctrl+C ends vitest without this teardown: the server then goes with the run anyway.
      temporaryFor: process.pid,
    });
    adminUrl = embedded.url;
    socketUrl = embedded.socketUrl;
    cleanup = async () => {
      await embedded.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
  }

  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`drop database if exists ${TEMPLATE_DATABASE} with (force)`);
    await admin.unsafe(`create database ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  await runMigrations(withDatabase(adminUrl, TEMPLATE_DATABASE));

  project.provide('adminDatabaseUrl', adminUrl);
  project.provide('adminSocketUrl', socketUrl);
  project.provide('templateDatabase', TEMPLATE_DATABASE);
  return cleanup;
}
