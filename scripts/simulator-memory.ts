/**
 * Pages a 1,000,000-transaction Item through the simulator's HTTP server with count 500 and reports
 * the simulator's peak RSS and throughput. The simulator runs in a child process so the figure is its
 * own, not the paging client's; it must stay under 200 MB because histories are generated on demand
 * rather than stored. Run: npx tsx scripts/simulator-memory.ts [transactions]
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startSimulatorServer } from '../src/simulator/index.js';

const TRANSACTIONS = Number(process.argv[2] ?? 1_000_000);
const LIMIT_MB = 200;
const CREDENTIALS = { clientId: 'memory', secret: 'memory' };

type FromServer = { type: 'ready'; url: string; accessToken: string } | { type: 'peak'; rss: number };

interface SyncPage {
  added: unknown[];
  next_cursor: string;
  has_more: boolean;
}

async function serve(): Promise<void> {
  const running = await startSimulatorServer({ ...CREDENTIALS, seed: 1 });
  const { accessToken } = running.simulator.control.createItem({ transactionCount: TRANSACTIONS, historyDays: 730 });
  let peak = process.memoryUsage().rss;
  const sample = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  process.on('message', () => {
    clearInterval(sample);
    process.send?.({ type: 'peak', rss: Math.max(peak, process.memoryUsage().rss) } satisfies FromServer, () => {
      void running.close().then(() => process.exit(0));
    });
  });
  process.send?.({ type: 'ready', url: running.url, accessToken } satisfies FromServer);
}

async function page(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), process.argv.slice(2), { env: { ...process.env, SIMULATOR_MEMORY_ROLE: 'server' } });
  const next = (): Promise<FromServer> => new Promise((resolve) => child.once('message', (m) => resolve(m as FromServer)));
  const ready = await next();
  if (ready.type !== 'ready') throw new Error('simulator did not start');
  const headers = { 'content-type': 'application/json', 'PLAID-CLIENT-ID': CREDENTIALS.clientId, 'PLAID-SECRET': CREDENTIALS.secret };

  const started = performance.now();
  let cursor = '';
  let pages = 0;
  let seen = 0;
  for (;;) {
    const response = await fetch(`${ready.url}/transactions/sync`, {
      method: 'POST', headers, body: JSON.stringify({ access_token: ready.accessToken, cursor, count: 500 }),
    });
    if (!response.ok) throw new Error(`sync failed with HTTP ${response.status}`);
    const body = await response.json() as SyncPage;
    pages++;
    seen += body.added.length;
    cursor = body.next_cursor;
    if (!body.has_more) break;
  }
  const seconds = (performance.now() - started) / 1000;
  const peakMessage = next();
  child.send('stop');
  const peak = await peakMessage;
  const peakMb = peak.type === 'peak' ? peak.rss / 1024 / 1024 : Number.NaN;

  console.log(`transactions: ${seen} in ${pages} pages of 500`);
  console.log(`time: ${seconds.toFixed(1)} s, ${(pages / seconds).toFixed(1)} pages/s`);
  console.log(`simulator peak RSS: ${peakMb.toFixed(1)} MB (limit ${LIMIT_MB} MB)`);
  if (seen !== TRANSACTIONS) throw new Error(`expected ${TRANSACTIONS} transactions, got ${seen}`);
  if (!(peakMb < LIMIT_MB)) process.exitCode = 1;
}

await (process.env.SIMULATOR_MEMORY_ROLE === 'server' ? serve() : page());
