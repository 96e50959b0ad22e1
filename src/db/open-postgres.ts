import postgres from 'postgres';

/** A server's Unix socket file, from its directory and port, as libpq names it. */
export function unixSocketPath(directory: string, port: number | string): string {
  return `${directory.replace(/\/+$/, '')}/.s.PGSQL.${port}`;
}

/**
 * Where postgres.js should connect for a libpq-style URL. libpq (psql, pg_dump) and node-postgres
 * (pg-boss) take a Unix socket's directory from the URL's `host` parameter
 * (`postgres://user:pw@localhost:5432/db?host=/var/run/postgresql`, or Cloud SQL's
 * `/cloudsql/project:region:instance`); postgres.js wants it as its `path` option and would send the
 * parameter to the server as a setting, which the server refuses. A `host` parameter that is a name,
 * not a directory, replaces the URL's host, as in libpq.
 */
export function postgresTarget(url: string): { url: string; path?: string } {
  // Any other URL goes to postgres.js untouched (its own parser also takes several hosts).
  if (!/[?&]host=/.test(url)) return { url };
  const parsed = new URL(url);
  const host = parsed.searchParams.get('host');
  if (host === null) return { url };
  parsed.searchParams.delete('host');
  if (!host.startsWith('/')) {
    parsed.hostname = host;
    return { url: parsed.toString() };
  }
  return { url: parsed.toString(), path: unixSocketPath(host, parsed.port || 5432) };
}

/** `postgres(url, options)` for a URL that may name a Unix socket (`postgresTarget`). */
export function openPostgres(url: string, options: postgres.Options<Record<string, never>> = {}): postgres.Sql {
  const target = postgresTarget(url);
  return postgres(target.url, target.path === undefined ? options : { ...options, path: target.path });
}
