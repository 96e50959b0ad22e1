import type { Sql } from '../../src/db/client.js';

/**
 * Turns the change feed's triggers (migration 0012, all named change_feed_*) off or on, to price the
 * feed in the same run. Only benchmarks do this: without them the feed misses changes.
 */
export async function setChangeFeed(sql: Sql, enabled: boolean): Promise<void> {
  const triggers = await sql<{ table: string; name: string }[]>`
    select c.relname as table, t.tgname as name
    from pg_trigger t join pg_class c on c.oid = t.tgrelid
    where t.tgname like 'change\\_feed\\_%' and not t.tgisinternal`;
  if (triggers.length === 0) throw new Error('no change_feed_* triggers found');
  const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;
  for (const trigger of triggers) {
    await sql.unsafe(`alter table ${quoted(trigger.table)} ${enabled ? 'enable' : 'disable'} trigger ${quoted(trigger.name)}`);
  }
}
