import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { MAX_PREPARED_PARAMETERS } from '../../src/db/prepared-statements.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/** drizzle's statements run as named prepared statements, so each is parsed once per connection. */
describe('prepared statements', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;

  beforeAll(async () => {
    database = await createTestDatabase();
    // One connection, so every statement below meets the statements prepared before it.
    handle = connectDatabase(database.url, { max: 1 });
  });
  afterAll(async () => {
    await handle.close();
    await database.drop();
  });

  const prepared = async (marker: string) => {
    const rows = await handle.db.execute<{ n: number }>(
      sql`select count(*)::int as n from pg_prepared_statements where statement like ${`%${marker}%`} and statement not like '%pg_prepared_statements%'`,
    );
    return rows[0]!.n;
  };

  it('prepares a statement with parameters once and reuses it', async () => {
    for (let i = 0; i < 3; i++) {
      const rows = await handle.db.execute<{ v: number }>(sql`select ${i}::int + 1 as v /* marker_plain */`);
      expect(rows[0]!.v).toBe(i + 1);
    }
    expect(await prepared('marker_plain')).toBe(1);
  });

  it('prepares the statements of a transaction and of a nested one the same way', async () => {
    const values = await handle.db.transaction(async (tx) => {
      const outer = await tx.execute<{ v: string }>(sql`select ${'a'}::text as v /* marker_tx */`);
      const inner = await tx.transaction((nested) => nested.execute<{ v: string }>(sql`select ${'b'}::text as v /* marker_nested */`));
      return [outer[0]!.v, inner[0]!.v];
    });
    expect(values).toEqual(['a', 'b']);
    expect(await prepared('marker_tx')).toBe(1);
    expect(await prepared('marker_nested')).toBe(1);
  });

  it('sends a statement with more parameters than the limit unnamed', async () => {
    const many = Array.from({ length: MAX_PREPARED_PARAMETERS + 1 }, (_, i) => sql`${i}::int`);
    const rows = await handle.db.execute<{ total: number }>(sql`select (${sql.join(many, sql` + `)})::int as total /* marker_many */`);
    expect(rows[0]!.total).toBe(((MAX_PREPARED_PARAMETERS + 1) * MAX_PREPARED_PARAMETERS) / 2);
    expect(await prepared('marker_many')).toBe(0);
  });

  it('re-prepares a cached statement after the schema it read changed', async () => {
    await handle.db.execute(sql`create table reshaped (id int)`);
    await handle.db.execute(sql`insert into reshaped values (1)`);
    const read = () => handle.db.execute<Record<string, unknown>>(sql`select * from reshaped where id = ${1}`);
    expect(Object.keys((await read())[0]!)).toEqual(['id']);
    await handle.db.execute(sql`alter table reshaped add column label text default 'x'`);
    expect(Object.keys((await read())[0]!)).toEqual(['id', 'label']);
  });
});
