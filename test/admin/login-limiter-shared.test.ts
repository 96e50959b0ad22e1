import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loopbackOrigins } from '../../src/config/public-origins.js';
import { addressKey } from '../../src/admin/login-limiter.js';
import { connectDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { buildTestApp, TEST_ADMIN_PASSWORD, testConfig } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * Password guessing against `/admin/login` over real sockets from several loopback addresses
 * (127.0.0.2, 127.0.0.3, ...), against two service instances with their own pools on one database.
 */
let database: TestDatabase;
let secondPool: DatabaseHandle;
const servers: ServerType[] = [];
let first: number;
let second: number;

const config = testConfig({ publicOrigins: loopbackOrigins(0) });

async function listen(db: DatabaseHandle | TestDatabase): Promise<number> {
  const { app } = buildTestApp(database, { config, db: db.db, sql: db.sql });
  const server = await new Promise<ServerType>((resolve) => {
    const instance = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(instance));
  });
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  database = await createTestDatabase();
  secondPool = connectDatabase(database.url, { max: 3 });
  first = await listen(database);
  second = await listen(secondPool);
});
afterAll(async () => {
  for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
  await secondPool.close();
  await database.drop();
});
beforeEach(async () => {
  await database.sql`delete from admin_login_limits`;
});

/** One login attempt from `from` (a loopback address) to the instance on `port`; answers the status. */
function attempt(port: number, from: string, password = 'a-wrong-guess'): Promise<number> {
  const body = new URLSearchParams({ password }).toString();
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1', port, localAddress: from, method: 'POST', path: '/admin/login',
        headers: { origin: `http://127.0.0.1:${port}`, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode!));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function tally(statuses: number[]) {
  return { checked: statuses.filter((status) => status === 401).length, limited: statuses.filter((status) => status === 429).length };
}

describe('login limiter shared through PostgreSQL', () => {
  it('four addresses no longer get 20 guesses: the account has one budget (10 per window)', async () => {
    const statuses: number[] = [];
    for (let round = 0; round < 5; round++) {
      for (const from of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']) statuses.push(await attempt(round % 2 === 0 ? first : second, from));
    }
    expect(tally(statuses)).toEqual({ checked: 10, limited: 10 });
    // More addresses do not buy more guesses either; while the budget is spent, even the right password waits.
    expect(await attempt(first, '127.0.0.6')).toBe(429);
    expect(await attempt(second, '127.0.0.7', TEST_ADMIN_PASSWORD)).toBe(429);
  });

  it('two instances share one address’s budget (5 per window)', async () => {
    const statuses = [
      await attempt(first, '127.0.0.8'), await attempt(second, '127.0.0.8'), await attempt(first, '127.0.0.8'),
      await attempt(second, '127.0.0.8'), await attempt(first, '127.0.0.8'),
    ];
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    expect(await attempt(second, '127.0.0.8')).toBe(429);
    expect(await attempt(first, '127.0.0.8', TEST_ADMIN_PASSWORD)).toBe(429);
    // Another address still has its own budget, and a correct password from it signs in.
    expect(await attempt(second, '127.0.0.9', TEST_ADMIN_PASSWORD)).toBe(303);
  });

  it('parallel guesses on both instances cannot overshoot the budget', async () => {
    const statuses = await Promise.all(Array.from({ length: 24 }, (_, index) => attempt(index % 2 === 0 ? first : second, '127.0.0.10')));
    expect(tally(statuses)).toEqual({ checked: 5, limited: 19 });
  });

  it('a correct password does not count against the account, so the operator can sign in again and again', async () => {
    for (let index = 0; index < 12; index++) expect(await attempt(index % 2 === 0 ? first : second, '127.0.0.11', TEST_ADMIN_PASSWORD)).toBe(303);
    expect(await attempt(first, '127.0.0.12')).toBe(401);
  });

  it('holds its counters in the table, not in memory, and removes expired ones as attempts arrive', async () => {
    await database.sql`
      insert into admin_login_limits (key, points, expire)
      select 'address:198.51.100.' || n, 5, now() - interval '1 minute' from generate_series(1, 120) as n`;
    for (let index = 0; index < 3; index++) await attempt(first, '127.0.0.13');
    const rows = await database.sql<{ key: string; points: number }[]>`select key, points from admin_login_limits order by key`;
    expect(rows).toEqual([
      { key: 'account:admin', points: 3 },
      { key: 'address:127.0.0.13', points: 3 },
    ]);
  });

  it('counts an IPv6 client by its /64 and an IPv4-mapped address as IPv4', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(addressKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:3::1')).not.toBe(addressKey('2001:db8:1:2::1'));
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(addressKey('10.0.0.1')).toBe('10.0.0.1');
  });
});
