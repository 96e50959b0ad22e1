import PgBoss from 'pg-boss';
import { openPostgres } from '../db/open-postgres.js';
import type { Logger } from '../logger.js';
import { ensureFetchIndex } from './job-fetch-index.js';
import { QUEUE_DEFINITIONS } from './queue-names.js';
import { errorLogFields } from '../error-log-fields.js';

export const QUEUE_SCHEMA = 'pgboss';

export interface JobQueueOptions {
  connectionString: string;
  logger: Logger;
  /** How often each instance checks whether a cron tick is due; the tick runs once per period in all. */
  cronCheckIntervalSeconds: number;
  /** Connections of pg-boss's own pool (its polling and bookkeeping). */
  poolSize?: number;
  /** false: only send jobs (no cron clock, no maintenance), as a tool or test that enqueues does. */
  background?: boolean;
}

/**
 * Starts pg-boss on the service's database (its tables live in their own schema, created and
 * migrated by pg-boss itself) and makes sure every queue exists. Workers are attached separately.
 */
export async function startJobQueue(options: JobQueueOptions): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema: QUEUE_SCHEMA,
    max: options.poolSize ?? 4,
    application_name: 'plaid-sync-queue',
    cronMonitorIntervalSeconds: options.cronCheckIntervalSeconds,
    cronWorkerIntervalSeconds: Math.min(5, options.cronCheckIntervalSeconds),
    schedule: options.background ?? true,
    supervise: options.background ?? true,
  });
  boss.on('error', (error: Error & { queue?: string }) => {
    options.logger.error({ ...errorLogFields(error), queue: error.queue }, 'queue_error');
  });
  // pg-boss's schema install and each queue's partition are DDL on shared tables: two instances
  // starting together can deadlock there, so start-up is serialized by a session advisory lock.
  const lock = openPostgres(options.connectionString, { max: 1, onnotice: () => undefined, connection: { application_name: 'plaid-sync-queue-setup' } });
  try {
    await lock`select pg_advisory_lock(hashtextextended('plaid-sync:queue-setup', 0))`;
    await boss.start();
    await ensureQueues(boss);
    // After start, not in a migration: pg-boss creates and upgrades its own schema in start().
    await ensureFetchIndex(lock, QUEUE_SCHEMA, options.logger);
  } catch (error) {
    await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
    throw error;
  } finally {
    await lock.end({ timeout: 5 });
  }
  return boss;
}

async function ensureQueues(boss: PgBoss): Promise<void> {
  for (const queue of QUEUE_DEFINITIONS) {
    if (await boss.getQueue(queue.name)) {
      await boss.updateQueue(queue.name, queue);
      continue;
    }
    await boss.createQueue(queue.name, queue).catch(async (error: Error) => {
      // Another instance created it between our look and our insert.
      if (!(await boss.getQueue(queue.name))) throw error;
    });
  }
}
