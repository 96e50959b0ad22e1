import type PgBoss from 'pg-boss';
import { QUEUE_SCHEMA } from './job-queue.js';

interface Completion {
  name: string;
  id: string;
  output: object;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Completes finished jobs in groups: while one completing statement is in flight, the jobs that
 * finish meanwhile wait and go together in the next one (a group commit), so under load a job costs
 * a fraction of a statement and when idle it still costs one. Each job keeps its own output. The
 * statement is pg-boss's own `complete` for many ids at once, with a per-job output.
 */
export class CompletionBatcher {
  private pending: Completion[] = [];
  private flushing = false;

  constructor(private readonly boss: PgBoss) {}

  /** Resolves once the job is `completed` in the database. */
  complete(name: string, id: string, output: object): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ name, id, output, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        try {
          await this.write(batch);
          for (const completion of batch) completion.resolve();
        } catch (error) {
          for (const completion of batch) completion.reject(error as Error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async write(batch: readonly Completion[]): Promise<void> {
    const names = [...new Set(batch.map(({ name }) => name))];
    // Only jobs still `active` complete, as in pg-boss's own `complete`. The job table is partitioned
    // by queue name; the names as a parameter of their own let the planner keep only their
    // partitions: planning every partition took longer than the update. The batch comes as arrays,
    // whose length the planner reads from the values (the statement is planned with them): from a
    // `jsonb` record set it guessed 100 rows, and hashed them against a read of the queue's whole
    // partition (every job pg-boss keeps) instead of finding a handful of jobs by primary key.
    await this.boss.getDb().executeSql(
      `update ${QUEUE_SCHEMA}.job j set completed_on = now(), state = 'completed', output = d.output
       from unnest($1::text[], $2::uuid[], $3::jsonb[]) as d(name, id, output)
       where j.name = any($4::text[]) and j.name = d.name and j.id = d.id and j.state = 'active'`,
      [batch.map(({ name }) => name), batch.map(({ id }) => id), batch.map(({ output }) => JSON.stringify(output)), names],
    );
  }
}
