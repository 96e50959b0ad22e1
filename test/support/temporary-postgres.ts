/**
 * For test/db/embedded-temporary.test.ts: starts an embedded PostgreSQL that belongs to this process
 * (`temporaryFor`), prints where it lives and its postmaster's pid, and waits to be killed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';

const [dataDir, port] = process.argv.slice(2);
await startEmbeddedPostgres({ dataDir: dataDir!, port: Number(port), database: 'postgres', temporaryFor: process.pid });
const pid = Number(readFileSync(path.join(dataDir!, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
process.stdout.write(`${JSON.stringify({ pid })}\n`);
setInterval(() => undefined, 60_000);
