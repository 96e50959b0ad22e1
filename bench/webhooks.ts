/**
 * webhooks: SYNC_UPDATES_AVAILABLE deliveries signed by the simulator (one per item, so none is a
 * duplicate), fired with autocannon at the service process:
 *   - as fast as it answers (closed loop, 32 connections unless --connections): accepted/s, p50/p99;
 *   - at a fixed 500/s, open loop (one request every 2 ms, latency from its due time): p50/p99
 *     acknowledgement latency;
 *   - one at a time (the latency of a delivery that waits for no other: the transaction's round trips);
 *   - baselines: GET /healthz on the same server in the same run, closed loop with as many
 *     connections and open loop at the same fixed rate;
 *   - then the drain: the sync jobs still queued, run to the end, in syncs/s.
 * Every 200 means the webhook_events row (and its inbox row) committed; the count is checked after.
 * A phase ends when every job its deliveries asked for exists (the dispatcher makes them after the
 * commits), so its CPU and statements include making them; --skip-drain leaves the queued syncs.
 * With pg_stat_statements on the server, PostgreSQL's time per webhook (burst, fixed rate) and per
 * sync (drain) is reported statement by statement.
 *
 *   npm run bench -- webhooks [--burst 15000] [--connections 32] [--fixed-seconds 10] [--rate 500] [--skip-drain]
 *     [--latency-log FILE] [--wait-events FILE]
 */
import autocannon, { type Result } from 'autocannon';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { connectDatabase, type Sql } from '../src/db/client.js';
import { SYNC_QUEUES } from '../src/queue/queue-names.js';
import { sized, until } from './support/bench-options.js';
import { benchDatabase } from './support/bench-database.js';
import type { BenchResult } from './support/bench-result.js';
import { insertItems, startServiceChild, type ServiceChild } from './support/service-process.js';
import { statementStats } from './support/statement-stats.js';
import { countCpu, countPostgresCpu } from './support/cpu-usage.js';
import { oneAtATime, openLoop, type OpenLoopResult } from './support/open-loop.js';
import { utcTenths } from './support/log-time.js';
import { startSimulatorChild } from './support/simulator-client.js';
import type { SignedWebhook } from './support/simulator-process.js';
import { sampleWaitEvents, waitEventLog, waitShares } from './support/wait-events.js';

/** The closed-loop phases' connections by default. */
const CONNECTIONS = 32;

/** A burst's result and its length, from the start to the last answer. */
type Fired = Result & { seconds: number };

/**
 * autocannon notices that a run of `amount` requests is over at its next one-second sample tick and
 * reports that as the duration (a 5.1 s burst reads 6 s, 15 % slow), so the burst is timed here from
 * the start to its last answer.
 */
async function fire(url: string, webhooks: readonly SignedWebhook[], options: { connections: number; overallRate?: number }): Promise<Fired> {
  let next = 0;
  const started = performance.now();
  let lastAnswer = started;
  const instance = autocannon({
    url: `${url}/webhooks/plaid`,
    connections: options.connections,
    overallRate: options.overallRate,
    amount: webhooks.length,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const webhook = webhooks[next++ % webhooks.length]!;
          return { ...request, body: webhook.body, headers: { 'content-type': 'application/json', 'plaid-verification': webhook.verification } };
        },
      },
    ],
  });
  instance.on('response', () => {
    lastAnswer = performance.now();
  });
  const result = await instance;
  return { ...result, seconds: (lastAnswer - started) / 1000 };
}

/**
 * Same-run baseline: how many ES256 signatures (the check every webhook needs) one core verifies a
 * second with node's crypto, on a body of a webhook's size. It bounds intake whatever else is done.
 */
function es256VerificationsPerSecond(count: number): number {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.from('x'.repeat(400));
  const signature = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    if (!verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)) throw new Error('verification failed');
  }
  return (count * 1000) / (performance.now() - started);
}

/** The fixed-rate phase: deliveries sent on a schedule, not autocannon's per-second budget (see open-loop.ts). */
const deliveryOf = (webhooks: readonly SignedWebhook[]) => (index: number) => ({
  method: 'POST',
  path: '/webhooks/plaid',
  headers: { 'content-type': 'application/json', 'plaid-verification': webhooks[index]!.verification },
  body: webhooks[index]!.body,
});

function fireAtRate(url: string, webhooks: readonly SignedWebhook[], rate: number, samples = false): Promise<OpenLoopResult> {
  return openLoop({ url, rate, count: webhooks.length, request: deliveryOf(webhooks), samples });
}

/**
 * `--latency-log FILE`: the fixed-rate phase's deliveries, one line each in the order they were due:
 * the due time (UTC, to the tenth of a millisecond) and the latency in ms, or `failed`. Slow ones can
 * then be lined up with PostgreSQL's log (say `BENCH_PG_SETTINGS="log_min_duration_statement=3"`).
 */
export function latencyLog(samples: readonly { dueAt: number; ms: number | null }[]): string {
  const line = ({ dueAt, ms }: { dueAt: number; ms: number | null }) => `${utcTenths(dueAt)} ${ms === null ? 'failed' : ms.toFixed(2)}`;
  return samples.map(line).join('\n') + (samples.length > 0 ? '\n' : '');
}

const SYNC_QUEUE = SYNC_QUEUES.transactions;

/**
 * The sync jobs the deliveries queued and no worker has taken yet, run to the end: by the service's
 * own workers, or, on an HTTP-only service (WORKER_CONCURRENCY=0), by a second instance with the
 * default number of workers started for it. Reported in syncs/s, with each process's CPU and
 * PostgreSQL's statements per sync.
 */
async function drainBacklog(options: {
  sql: Sql;
  service: ServiceChild;
  databaseUrl: string;
  plaidUrl: string;
  statements: Awaited<ReturnType<typeof statementStats>>;
}) {
  const { sql } = options;
  const queuedNow = async () => {
    const [row] = await sql<{ queued: number }[]>`select count(*)::int as queued from pgboss.job where name = ${SYNC_QUEUE} and state < 'active'`;
    return row!.queued;
  };
  // Polled through the drain: a count over the queue's jobs here cost PostgreSQL more than the syncs.
  const open = async () => {
    const [row] = await sql<{ open: boolean }[]>`select exists (select 1 from pgboss.job where name = ${SYNC_QUEUE} and state < 'completed') as open`;
    return row!.open || !(await inboxEmpty(sql));
  };
  const httpOnly = process.env.BENCH_SERVICE_WORKER_CONCURRENCY === '0';
  const workers = httpOnly
    ? await startServiceChild({
        databaseUrl: options.databaseUrl,
        plaidUrl: options.plaidUrl,
        env: { TOKEN_ENCRYPTION_KEY: options.service.tokenEncryptionKey },
        exceptOverrides: ['WORKER_CONCURRENCY'],
      })
    : options.service;
  try {
    const [clock] = await sql<{ startedAt: Date }[]>`select now() as "startedAt"`;
    const startedAt = clock!.startedAt;
    const queued = await queuedNow();
    const cpu = await countCpu({ 'drain service': workers.child.pid! });
    const postgresCpu = await countPostgresCpu(sql);
    const phase = await options.statements.start();
    const started = performance.now();
    await until(async () => !(await open()), { everyMs: 250, timeoutMs: sized(1_200_000, 120_000), what: 'the sync backlog to drain' });
    const seconds = (performance.now() - started) / 1000;
    const used = await cpu.stop();
    const postgresSeconds = await postgresCpu.stop();
    const [runs] = await sql<{ succeeded: number; failed: number }[]>`
      select count(*) filter (where status = 'succeeded')::int as succeeded, count(*) filter (where status = 'failed')::int as failed
      from sync_runs where finished_at >= ${startedAt}`;
    const synced = runs!.succeeded;
    return {
      figures: {
        'drain: queued syncs at its start': queued,
        'drain: seconds': seconds,
        'drain: syncs/s': synced / seconds,
        'drain: failed runs': runs!.failed,
        'drain: service CPU ms per sync': (used['drain service CPU seconds']! * 1000) / (synced || 1),
        'drain: PostgreSQL CPU ms per sync': (postgresSeconds * 1000) / (synced || 1),
        'drain: machine cores busy (all processes)': used['machine cores busy (all processes)']!,
      },
      statements: await phase.stop('sync', synced),
    };
  } finally {
    if (workers !== options.service) await workers.stop();
  }
}

/** True when no webhook waits for its job (always, for an intake without an inbox table). */
async function inboxEmpty(sql: Sql): Promise<boolean> {
  const [table] = await sql<{ exists: boolean }[]>`select to_regclass('webhook_dispatch') is not null as exists`;
  if (!table!.exists) return true;
  const [row] = await sql<{ empty: boolean }[]>`select not exists (select 1 from webhook_dispatch) as empty`;
  return row!.empty;
}

/** Waits until every recorded webhook has its job; returns how long that took (ms). */
async function inboxDrained(sql: Sql): Promise<number> {
  const started = performance.now();
  await until(() => inboxEmpty(sql), { everyMs: 10, timeoutMs: 120_000, what: 'the webhook inbox to be dispatched' });
  return performance.now() - started;
}

const accepted = (result: Result) => result['2xx'];
const rate = (result: Result | Fired) => accepted(result) / (('seconds' in result ? result.seconds : result.duration) || 1);

export async function run(argv: string[] = []): Promise<BenchResult> {
  const { values } = parseArgs({
    args: argv,
    options: {
      burst: { type: 'string', default: String(sized(15_000, 200)) },
      connections: { type: 'string', default: String(CONNECTIONS) },
      'fixed-seconds': { type: 'string', default: String(sized(10, 1)) },
      rate: { type: 'string', default: '500' },
      // Leaves the queued syncs alone: for alternating runs of the intake alone.
      'skip-drain': { type: 'boolean', default: false },
      'latency-log': { type: 'string' },
      // The fixed phase's active backends, sampled every 5 ms: each sample to FILE, and each wait's
      // share overall and while the slowest 1 % of deliveries waited in a table (wait-events.ts).
      'wait-events': { type: 'string' },
    },
    allowPositionals: true,
  });
  // The log files are written after the run: a path that cannot be written fails now, not then.
  for (const file of [values['latency-log'], values['wait-events']]) if (file !== undefined) await writeFile(file, '');
  const burst = Number(values.burst);
  const connections = Number(values.connections);
  if (!Number.isInteger(connections) || connections < 1) throw new Error(`--connections must be a positive integer, got ${values.connections}`);
  const fixedRate = Number(values.rate);
  const fixedCount = fixedRate * Number(values['fixed-seconds']);
  const sequentialCount = sized(400, 20);
  const database = await benchDatabase('webhooks');
  const simulator = await startSimulatorChild();
  const handle = connectDatabase(database.url, { max: 2 });
  const service = await startServiceChild({ databaseUrl: database.url, plaidUrl: simulator.url });
  try {
    const { items, webhooks } = await simulator.createItems(burst + fixedCount + sequentialCount, 5, `${service.url}/webhooks/plaid`);
    await insertItems(handle.sql, service.vault, items);
    // Warm-up: the verification key fetch and the first statements' plans, on a handful of deliveries.
    const warm = await fire(service.url, webhooks.slice(0, 20), { connections: 4 });
    const verifyRate = es256VerificationsPerSecond(sized(2_000, 50));
    const sequentialWebhooks = webhooks.slice(burst + fixedCount);
    const sequential = await oneAtATime({ url: service.url, count: sequentialWebhooks.length, request: deliveryOf(sequentialWebhooks) });
    const sequentialHealthz = await oneAtATime({ url: service.url, count: sequentialCount, request: () => ({ method: 'GET', path: '/healthz' }) });
    const healthzCpu = await countCpu({ service: service.child.pid! });
    const healthz = await autocannon({ url: `${service.url}/healthz`, connections, duration: sized(5, 1) });
    const healthzCpuMs = (await healthzCpu.stop())['service CPU seconds']! * 1000;
    // Where the machine's CPU goes per webhook: the service, PostgreSQL, and this process (the load
    // generator), against the 2 / rate CPU-seconds per webhook two cores have at a given rate.
    const countAll = async () => {
      const processes = await countCpu({ service: service.child.pid!, 'load generator': process.pid });
      const postgresCpu = await countPostgresCpu(handle.sql);
      return async () => ({ ...(await processes.stop()), 'PostgreSQL CPU seconds': await postgresCpu.stop() });
    };
    const statements = await statementStats(handle.sql);
    let stopCounting = await countAll();
    let phaseStatements = await statements.start();
    const max = await fire(service.url, webhooks.slice(20, burst), { connections });
    // A phase's CPU and statements include making the jobs its deliveries asked for: with an inbox
    // (webhook_dispatch), the dispatcher may still be at it when the last answer is in.
    const maxDispatchLag = await inboxDrained(handle.sql);
    const maxCpu = await stopCounting();
    const maxStatements = await phaseStatements.stop('webhook', accepted(max));
    const fixedHealthz = await openLoop({ url: service.url, rate: fixedRate, count: fixedCount, request: () => ({ method: 'GET', path: '/healthz' }) });
    stopCounting = await countAll();
    phaseStatements = await statements.start();
    const waitSampler = values['wait-events'] === undefined ? undefined : await sampleWaitEvents(database.url);
    const fixed = await fireAtRate(
      service.url,
      webhooks.slice(burst, burst + fixedCount),
      fixedRate,
      values['latency-log'] !== undefined || waitSampler !== undefined,
    );
    const waitSamples = await waitSampler?.stop();
    const fixedDispatchLag = await inboxDrained(handle.sql);
    const fixedCpu = await stopCounting();
    const fixedStatements = await phaseStatements.stop('webhook', fixed.ok);
    if (values['latency-log'] !== undefined) await writeFile(values['latency-log'], latencyLog(fixed.samples ?? []));
    const waits = waitSamples && waitShares(waitSamples, fixed.samples ?? [], fixed.p99);
    if (waitSamples) await writeFile(values['wait-events']!, waitEventLog(waitSamples));
    const drain = values['skip-drain']
      ? { figures: {}, statements: undefined }
      : await drainBacklog({ sql: handle.sql, service, databaseUrl: database.url, plaidUrl: simulator.url, statements });
    const perWebhook = (phase: string, cpu: Record<string, number>, webhookCount: number) => ({
      [`${phase}: service CPU ms per webhook`]: (cpu['service CPU seconds']! * 1000) / (webhookCount || 1),
      [`${phase}: service main thread CPU ms per webhook`]: (cpu['service main thread CPU seconds']! * 1000) / (webhookCount || 1),
      [`${phase}: PostgreSQL CPU ms per webhook`]: (cpu['PostgreSQL CPU seconds']! * 1000) / (webhookCount || 1),
      [`${phase}: load generator CPU ms per webhook`]: (cpu['load generator CPU seconds']! * 1000) / (webhookCount || 1),
      [`${phase}: machine cores busy (all processes)`]: cpu['machine cores busy (all processes)']!,
      ...(cpu['service main thread waiting for a CPU, seconds'] === undefined
        ? {}
        : { [`${phase}: service main thread waiting for a CPU, ms per webhook`]: (cpu['service main thread waiting for a CPU, seconds'] * 1000) / (webhookCount || 1) }),
    });

    const outcomes = await handle.sql<{ status: string; n: number }[]>`select status, count(*)::int as n from webhook_events group by status`;
    const recorded = Object.fromEntries(outcomes.map((o) => [o.status, o.n]));
    const acknowledged = accepted(warm) + sequentialCount - sequential.failures + accepted(max) + fixed.ok;
    if ((recorded.processed ?? 0) !== acknowledged) {
      throw new Error(`${acknowledged} webhooks acknowledged but ${JSON.stringify(recorded)} recorded`);
    }
    const failures = (r: Result) => r.non2xx + r.errors + r.timeouts;
    return {
      name: 'webhooks',
      params: { 'one-at-a-time webhooks': sequentialCount, 'burst webhooks': burst - 20, connections, 'fixed rate/s': fixedRate, 'fixed webhooks': fixedCount },
      figures: {
        'one at a time: p50 ms': sequential.p50,
        'one at a time: p99 ms': sequential.p99,
        'one at a time healthz (baseline): p50 ms': sequentialHealthz.p50,
        'healthz requests/s': rate(healthz),
        'healthz p50 ms': healthz.latency.p50,
        'healthz p99 ms': healthz.latency.p99,
        'max: accepted/s': rate(max),
        'max: p50 ms': max.latency.p50,
        'max: p99 ms': max.latency.p99,
        'max: failures': failures(max),
        'max: accepted/s ÷ healthz/s': rate(max) / rate(healthz),
        'service CPU ms per healthz': healthzCpuMs / (healthz.requests.total || 1),
        'max: ms from the last answer to the last job made': maxDispatchLag,
        ...perWebhook('max', maxCpu, accepted(max)),
        'ES256 verifications/s, one core (baseline)': verifyRate,
        'fixed healthz (baseline): p50 ms': fixedHealthz.p50,
        'fixed healthz (baseline): p99 ms': fixedHealthz.p99,
        'fixed: accepted/s': fixed.perSecond,
        'fixed: p50 ms': fixed.p50,
        'fixed: p99 ms': fixed.p99,
        'fixed: max ms': fixed.max,
        'fixed: failures': fixed.failures,
        'fixed: generator send lag p99 ms': fixed.sendLagP99,
        'fixed: ms from the last answer to the last job made': fixedDispatchLag,
        ...perWebhook('fixed', fixedCpu, fixed.ok),
        'recorded (processed rows)': recorded.processed ?? 0,
        ...drain.figures,
      },
      targets: { 'max: accepted/s': '>= 3000', 'fixed: p99 ms': '<= 10' },
      statements: { max: maxStatements, fixed: fixedStatements, ...(drain.statements ? { drain: drain.statements } : {}) },
      ...(waits
        ? {
            tables: {
              [`fixed: active backends' waits, sampled every 5 ms (${waitSamples.length} samples; deliveries over the p99 waited ${Math.round(waits['slow windows ms'])} ms of the phase's ${Math.round(waits['phase ms'])})`]:
                waits.shares.slice(0, 12),
            },
          }
        : {}),
    };
  } finally {
    await service.stop();
    await handle.close();
    await simulator.stop();
    await database.stop();
  }
}
