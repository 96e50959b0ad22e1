/**
 * The service as it runs in production: `src/main.ts` in a process of its own (so its RSS and CPU
 * are its own), talking to the simulator process as its Plaid and to the benchmark's PostgreSQL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type postgres from 'postgres';
import { TokenVault } from '../../src/vault/token-vault.js';
import { parseKeyring } from '../../src/vault/keyring.js';
import { until } from './bench-options.js';
import { stopIfInterrupted } from './interrupt.js';
import { BENCH_PLAID_CLIENT_ID, BENCH_PLAID_SECRET } from './simulator-client.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The environment assignments and node arguments of `npm start` (its allocator and V8 heap settings
 * included), so the benchmark runs what production runs.
 */
async function startCommand(): Promise<{ env: Record<string, string>; args: string[] }> {
  const { scripts } = JSON.parse(await readFile(`${root}package.json`, 'utf8')) as { scripts: { start: string } };
  const words = scripts.start.split(/\s+/);
  const env: Record<string, string> = {};
  while (words[0] && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const [name, ...value] = words.shift()!.split('=');
    env[name!] = value.join('=');
  }
  const [command, ...args] = words;
  if (command !== 'node') throw new Error(`npm start runs ${command}, not node`);
  return { env, args };
}

/** BENCH_SERVICE_<NAME>=value reaches the service as <NAME>=value: to compare runtime settings. */
function serviceEnvOverrides(except: readonly string[]): Record<string, string> {
  const prefix = 'BENCH_SERVICE_';
  return Object.fromEntries(
    Object.entries(process.env)
      .filter((entry): entry is [string, string] => entry[0].startsWith(prefix) && entry[1] !== undefined)
      .map(([name, value]): [string, string] => [name.slice(prefix.length), value])
      .filter(([name]) => !except.includes(name)),
  );
}

export interface ServiceChild {
  child: ChildProcess;
  url: string;
  vault: TokenVault;
  /** Its TOKEN_ENCRYPTION_KEY: a second instance on the same items needs the same one. */
  tokenEncryptionKey: string;
  /** Resident set now, and its peak since the process started (VmRSS and VmHWM), in MB. */
  rss(): Promise<{ nowMb: number; peakMb: number }>;
  /** Its threads now (the event loop, libuv's pool, V8's helpers, and any worker threads). */
  threads(): Promise<number>;
  stop(): Promise<void>;
}

export async function startServiceChild(options: {
  databaseUrl: string;
  plaidUrl: string;
  env?: Record<string, string>;
  /** BENCH_SERVICE_ settings this instance does not take (a second instance with other duties). */
  exceptOverrides?: readonly string[];
}): Promise<ServiceChild> {
  const port = await freePort();
  const key = randomBytes(32).toString('base64');
  // BENCH_PROFILE_DIR: the service writes a V8 CPU profile there when it stops (node --cpu-prof).
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  const start = await startCommand();
  // BENCH_NODE_ARGS: node flags added after npm start's own (and before the script), so for a V8
  // flag npm start also sets, the later value wins: e.g. --max-semi-space-size=8, or --trace-gc.
  const extra = process.env.BENCH_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  const script = start.args.at(-1)!;
  const child = spawn(process.execPath, [...profile, ...start.args.slice(0, -1), ...extra, script], {
    cwd: root,
    env: {
      ...start.env,
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      PLAID_ENV: 'sandbox',
      PLAID_CLIENT_ID: BENCH_PLAID_CLIENT_ID,
      PLAID_SECRET: BENCH_PLAID_SECRET,
      PLAID_BASE_URL: options.plaidUrl,
      TOKEN_ENCRYPTION_KEY: `bench:${key}`,
      API_TOKENS: 'bench-token-0123456789',
      ADMIN_PASSWORD: 'bench-admin-password',
      DATABASE_URL: options.databaseUrl,
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      WEBHOOK_URL: `http://127.0.0.1:${port}/webhooks/plaid`,
      // Per-request log lines off: at thousands of requests a second they would be the benchmark.
      LOG_LEVEL: 'warn',
      QUEUE_POLL_INTERVAL_SECONDS: '0.5',
      ...options.env,
      ...serviceEnvOverrides(options.exceptOverrides ?? []),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-8000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.on('exit', () => void ((exited = true), resolve())));
  const stop = async () => {
    if (!exited) child.kill('SIGTERM');
    await exit;
  };
  const forget = stopIfInterrupted(stop);
  const url = `http://127.0.0.1:${port}`;
  try {
    await until(
      async () => {
        if (exited) throw new Error(`service exited before listening:\n${output}`);
        return fetch(`${url}/readyz`).then((r) => r.ok, () => false);
      },
      { everyMs: 100, timeoutMs: 60_000, what: "the service to be ready" },
    );
  } catch (error) {
    // Never ready: the caller has nothing to stop, so it is stopped here.
    forget();
    await stop();
    throw error;
  }
  const status = async (field: string) => {
    const text = await readFile(`/proc/${child.pid}/status`, 'utf8');
    return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(text)?.[1] ?? Number.NaN);
  };
  return {
    child,
    url,
    vault: new TokenVault(parseKeyring(`bench:${key}`)),
    tokenEncryptionKey: `bench:${key}`,
    rss: async () => ({ nowMb: (await status('VmRSS')) / 1024, peakMb: (await status('VmHWM')) / 1024 }),
    threads: () => status('Threads'),
    async stop() {
      forget();
      await stop();
    },
  };
}

/** Items the simulator created, stored as a linked item each (own user, encrypted token); returns their ids. */
export async function insertItems(sql: postgres.Sql, vault: TokenVault, items: readonly { itemId: string; accessToken: string }[]): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < items.length; start += 2000) {
    const rows = items.slice(start, start + 2000).map((item) => {
      const sealed = vault.encrypt(item.accessToken, item.itemId);
      return {
        user_id: crypto.randomUUID(),
        plaid_item_id: item.itemId,
        institution_id: 'ins_109508',
        access_token_ciphertext: sealed.ciphertext,
        access_token_key_id: sealed.keyId,
        product: 'transactions',
        products: ['transactions'],
        entitled_products: ['transactions'],
      };
    });
    const inserted = await sql<{ id: string }[]>`insert into plaid_items ${sql(rows)} returning id`;
    ids.push(...inserted.map((r) => r.id));
  }
  return ids;
}
