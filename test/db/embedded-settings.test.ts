import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shellWord, startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { openPostgres } from '../../src/db/open-postgres.js';
import { freePort } from '../support/service-process.js';

describe('the embedded PostgreSQL’s settings', { timeout: 120_000 }, () => {
  let running: EmbeddedPostgres | undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    await running?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('quotes a setting for the shell only when it must', () => {
    expect(shellWord('synchronous_commit=off')).toBe('synchronous_commit=off');
    expect(shellWord('pg_stat_statements.max=10000')).toBe('pg_stat_statements.max=10000');
    expect(shellWord('log_line_prefix=%m [%p] ')).toBe("'log_line_prefix=%m [%p] '");
    expect(shellWord("cluster_name=it's $HOME `x`")).toBe("'cluster_name=it'\\''s $HOME `x`'");
  });

  it('reach the server whole, spaces, quotes and shell characters included', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'plaid-sync-settings-'));
    const settings = { log_line_prefix: '%m [%p] %a ', cluster_name: "it's $HOME; `echo no`" };
    running = await startEmbeddedPostgres({ dataDir, port: await freePort(), database: 'plaid_sync', settings });
    const sql = openPostgres(running.url, { max: 1, onnotice: () => undefined });
    try {
      const [prefix] = await sql<{ setting: string }[]>`select setting from pg_settings where name = 'log_line_prefix'`;
      expect(prefix!.setting).toBe(settings.log_line_prefix);
      const [name] = await sql<{ setting: string; source: string }[]>`select setting, source from pg_settings where name = 'cluster_name'`;
      expect(name).toEqual({ setting: settings.cluster_name, source: 'command line' });
    } finally {
      await sql.end();
    }
  });
});
