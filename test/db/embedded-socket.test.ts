import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { openPostgres, unixSocketPath } from '../../src/db/open-postgres.js';
import { freePort } from '../support/service-process.js';

async function serverAddress(url: string): Promise<string | null> {
  const sql = openPostgres(url, { max: 1, onnotice: () => undefined });
  try {
    const [row] = await sql<{ address: string | null }[]>`select host(inet_server_addr()) as address`;
    return row!.address;
  } finally {
    await sql.end();
  }
}

describe('the embedded PostgreSQL’s Unix socket', { timeout: 120_000 }, () => {
  let dataDir: string;
  let port: number;
  let running: EmbeddedPostgres | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'plaid-sync-socket-'));
    port = await freePort();
  });
  afterAll(async () => {
    await running?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves through a socket in the cluster directory, and over TCP on its URL; a reused server too', async () => {
    running = await startEmbeddedPostgres({ dataDir, port, database: 'plaid_sync' });
    expect(running.socketUrl).toBeDefined();
    expect(new URL(running.socketUrl!).searchParams.get('host')).toBe(path.join(dataDir, 'postgres'));
    expect(await serverAddress(running.socketUrl!)).toBeNull();
    expect(await serverAddress(running.url)).toBe('127.0.0.1');

    const reused = await startEmbeddedPostgres({ dataDir, port, database: 'plaid_sync' });
    expect(reused.started).toBe(false);
    expect(reused.socketUrl).toBe(running.socketUrl);
    await running.stop();
    running = undefined;
  });

  it('starts on TCP alone when the socket cannot be made, and says so', async () => {
    // A directory where the socket file would go: the server cannot bind its socket there.
    await mkdir(unixSocketPath(path.join(dataDir, 'postgres'), port));
    const log: string[] = [];
    running = await startEmbeddedPostgres({ dataDir, port, database: 'plaid_sync', onLog: (line) => log.push(line) });
    expect(running.started).toBe(true);
    expect(running.socketUrl).toBeUndefined();
    expect(await serverAddress(running.url)).toBe('127.0.0.1');
    expect(log.join('\n')).toContain('could not make its Unix socket');
  });
});
