import { parseArgs } from 'node:util';
import { faultKinds } from './faults.js';
import type { FaultKind } from './faults.js';
import { startSimulatorServer } from './index.js';

const USAGE = `Usage: npm run simulator -- [options]

  --port <n>              port to listen on (default 4010; 0 = random)
  --host <addr>           address to bind (default 127.0.0.1)
  --seed <n>              seed for generated data and fault decisions (default 1)
  --client-id <id>        accepted client id (or SIMULATOR_CLIENT_ID)
  --secret <secret>       accepted secret (or SIMULATOR_SECRET)
  --time-scale <x>        1 = real time; 0.001 makes the 30 s webhook retry 30 ms (default 1)
  --transactions <n>      transactions in a new Item's history (default 250)
  --fault-rate <r>        inject a fault on this fraction of Plaid calls (0..1)
  --fault-kind <kind>     ${faultKinds.join(' | ')} (default internal_error)
  --rate-limits           enforce Plaid's Sandbox per-minute rate limits
  --today <YYYY-MM-DD>    fix "today" for generated dates
  --state-database-url <url>  keep items, tokens and histories in this PostgreSQL (schema plaid_simulator)
                          so a restart continues where it left off (default: in memory)
  --help                  show this text
`;

function number(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`--${name} must be a number`);
  return parsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      seed: { type: 'string' },
      'client-id': { type: 'string' },
      secret: { type: 'string' },
      'time-scale': { type: 'string' },
      transactions: { type: 'string' },
      'fault-rate': { type: 'string' },
      'fault-kind': { type: 'string' },
      'rate-limits': { type: 'boolean' },
      today: { type: 'string' },
      'state-database-url': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  let clientId = values['client-id'] ?? process.env.SIMULATOR_CLIENT_ID;
  let secret = values.secret ?? process.env.SIMULATOR_SECRET;
  const usingDefaults = clientId === undefined && secret === undefined;
  if (usingDefaults) {
    clientId = 'sim-client-id';
    secret = 'sim-secret';
  }
  if (clientId === undefined || secret === undefined) throw new Error('give both a client id and a secret, or neither');
  const faultKind = (values['fault-kind'] ?? 'internal_error') as FaultKind;
  if (!faultKinds.includes(faultKind)) throw new Error(`--fault-kind must be one of ${faultKinds.join(', ')}`);

  const server = await startSimulatorServer({
    clientId,
    secret,
    port: number(values.port, 'port', 4010),
    host: values.host,
    seed: number(values.seed, 'seed', 1),
    timeScale: number(values['time-scale'], 'time-scale', 1),
    defaultTransactionCount: number(values.transactions, 'transactions', 250),
    rateLimits: values['rate-limits'] ?? false,
    today: values.today,
    stateDatabaseUrl: values['state-database-url'],
  });
  const faultRate = number(values['fault-rate'], 'fault-rate', 0);
  if (faultRate > 0) server.simulator.control.addFault({ kind: faultKind, rate: faultRate });

  process.stdout.write(`Plaid simulator listening on ${server.url}\n`);
  process.stdout.write(usingDefaults
    ? `Credentials: PLAID-CLIENT-ID=${clientId} PLAID-SECRET=${secret} (defaults)\n`
    : `Credentials: PLAID-CLIENT-ID=${clientId} (secret as given)\n`);
  process.stdout.write(`Control endpoints under ${server.url}/simulator/ (see docs/simulator.md)\n`);

  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  process.exit(1);
});
