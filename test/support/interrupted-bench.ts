/**
 * A benchmark stand-in for test/bench/interrupt.test.ts: installs the runner's signal handling,
 * starts a bench database (an embedded PostgreSQL unless DATABASE_URL is set), prints its URL and
 * waits to be interrupted.
 */
import { benchDatabase } from '../../bench/support/bench-database.js';
import { stopOnSignals } from '../../bench/support/interrupt.js';

stopOnSignals();
const database = await benchDatabase('interrupt');
process.stdout.write(`${JSON.stringify({ url: database.url })}\n`);
setInterval(() => undefined, 60_000);
