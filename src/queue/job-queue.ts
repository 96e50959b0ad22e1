import PgBoss from 'pg-boss';
import type { Logger } from '../logger.js';
import { QUEUE_DEFINITIONS } from './queue-names.js';

export const QUEUE_SCHEMA = 'pgboss';

export interface JobQueueOptions {
  connectionString: string;
  logger: Logger;
  /** How often each instance checks whether a cron tick is due; the tick runs once per period in all. */
  cronCheckIntervalSeconds: number;
  /** Connections of pg-boss's own pool (its polling and bookkeeping). */
  poolSize?: number;
}

/**
 * Starts pg-boss on the service's database (its tables live in their own schema, created and
 * migrated by pg-boss itself under an advisory lock, so several instances may start at once) and
 * makes sure every queue exists. Workers are attached separately.
 */
export async function startJobQueue(options: JobQueueOptions): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema: QUEUE_SCHEMA,
    max: options.poolSize ?? 4,
    application_name: 'plaid-sync-queue',
    cronMonitorIntervalSeconds: options.cronCheckIntervalSeconds,
    cronWorkerIntervalSeconds: Math.min(5, options.cronCheckIntervalSeconds),
  });
  boss.on('error', (error: Error & { queue?: string }) => {
    options.logger.error({ err: { message: error.message }, queue: error.queue }, 'queue_error');
  });
  await boss.start();
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
  return boss;
}
