import { describe, expect, inject, it } from 'vitest';
import { openPostgres, postgresTarget, unixSocketPath } from '../../src/db/open-postgres.js';

describe('a libpq-style host parameter for postgres.js', () => {
  it('leaves a URL without one as it is', () => {
    const url = 'postgres://user:p%40ss@db.internal:6543/app?sslmode=require';
    expect(postgresTarget(url)).toEqual({ url });
    // Several hosts, which postgres.js takes and a WHATWG URL does not.
    const hosts = 'postgres://user:pw@db-a:5432,db-b:5432/app?target_session_attrs=read-write';
    expect(postgresTarget(hosts)).toEqual({ url: hosts });
  });

  it('turns a socket directory into the socket path, and drops the parameter from the URL', () => {
    expect(postgresTarget('postgres://user:pw@localhost:55432/app?host=/var/run/postgresql&application_name=x')).toEqual({
      url: 'postgres://user:pw@localhost:55432/app?application_name=x',
      path: '/var/run/postgresql/.s.PGSQL.55432',
    });
    // The default port, a trailing slash, and a Cloud SQL directory written encoded.
    expect(postgresTarget('postgresql://user:pw@localhost/app?host=%2Fcloudsql%2Fproj%3Aeu-west1%3Adb%2F')).toEqual({
      url: 'postgresql://user:pw@localhost/app',
      path: '/cloudsql/proj:eu-west1:db/.s.PGSQL.5432',
    });
    expect(unixSocketPath('/tmp//', 5432)).toBe('/tmp/.s.PGSQL.5432');
  });

  it('takes a host name in the parameter as the host, as libpq does', () => {
    expect(postgresTarget('postgres://user:pw@localhost:5432/app?host=db.internal')).toEqual({ url: 'postgres://user:pw@db.internal:5432/app' });
  });
});

describe('the test server through its Unix socket', () => {
  const admin = inject('adminDatabaseUrl');
  const socketUrl = inject('adminSocketUrl');

  it('serves openPostgres through the socket, and the same server over TCP without the parameter', async () => {
    // TEST_DATABASE_URL names a server of its own, which may have no socket here.
    if (process.env.TEST_DATABASE_URL) return;
    expect(socketUrl).toBeDefined();
    expect(new URL(socketUrl!).searchParams.get('host')).toMatch(/^\//);
    const sql = openPostgres(socketUrl!, { max: 1, onnotice: () => undefined });
    const tcp = openPostgres(admin, { max: 1, onnotice: () => undefined });
    try {
      // A Unix-socket session has no server address.
      expect(await sql`select inet_server_addr() as address`).toEqual([{ address: null }]);
      expect(await tcp`select host(inet_server_addr()) as address`).toEqual([{ address: '127.0.0.1' }]);
    } finally {
      await Promise.all([sql.end(), tcp.end()]);
    }
  });
});
