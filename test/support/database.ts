import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { connectDatabase, type DatabaseHandle } from '../../src/db/client.js';

export interface TestDatabase extends DatabaseHandle {
  name: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

export function databaseUrl(name: string): string {
  const url = new URL(inject('adminDatabaseUrl'));
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(inject('adminDatabaseUrl'), { max: 1, onnotice: () => undefined });
  try {
    return await work(sql);
  } finally {
    await sql.end();
  }
}

/** A fresh empty database (no migrations), for tests of the migrations themselves. */
export async function createEmptyDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  await admin((sql) => sql.unsafe(`create database ${name}`));
  return { name, url: databaseUrl(name), drop: () => admin((sql) => sql.unsafe(`drop database if exists ${name} with (force)`)).then(() => undefined) };
}

/** A database of its own for one test file, cloned from the migrated template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  const template = inject('templateDatabase');
  await admin(async (sql) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await sql.unsafe(`create database ${name} template ${template}`);
        return;
      } catch (error) {
        // Two clones of one template at the same instant can collide; the next try succeeds.
        if (attempt >= 20 || !/being accessed by other users/.test((error as Error).message)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
      }
    }
  });
  const handle = connectDatabase(databaseUrl(name), { max: 5 });
  return {
    ...handle,
    name,
    async drop() {
      await handle.close();
      await admin((sql) => sql.unsafe(`drop database if exists ${name} with (force)`));
    },
  };
}
