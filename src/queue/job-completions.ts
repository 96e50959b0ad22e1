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
    const rows = JSON.stringify(batch.map(({ name, id, output }) => ({ name, id, output })));
    const names = [...new Set(batch.map(({ name }) => name))];
    // Only jobs still `active` complete, as in pg-boss's own `complete`. The job table is partitioned
    // by queue name; the names as a parameter of their own let the planner keep only their
    // partitions (it cannot see them inside the JSON): planning every partition took longer than
    // the update.
    await this.boss.getDb().executeSql(
      `update ${QUEUE_SCHEMA}.job j set completed_on = now(), state = 'completed', output = d.output
       from jsonb_to_recordset($1::jsonb) as d(name text, id uuid, output jsonb)
       where j.name = any($2::text[]) and j.name = d.name and j.id = d.id and j.state = 'active'`,
      [rows, names],
    );
  }
}
