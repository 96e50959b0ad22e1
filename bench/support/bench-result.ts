import { printStatements, type PhaseStatements } from './statement-stats.js';

/** What a benchmark reports: its parameters and named figures, printed as a table and kept as JSON. */
export interface BenchResult {
  name: string;
  params: Record<string, number | string>;
  figures: Record<string, number | string>;
  /** Targets as text next to the figure they judge, e.g. `{ 'transactions/s': '>= 30000' }`. */
  targets?: Record<string, string>;
  /** PostgreSQL's time per statement in each measured phase (see statement-stats.ts). */
  statements?: Record<string, PhaseStatements>;
  /** Further tables a run was asked for, by title (say the webhooks benchmark's `--wait-events`). */
  tables?: Record<string, object[]>;
}

export function printTable(result: BenchResult): void {
  const rows = Object.entries(result.figures).map(([figure, value]) => ({
    figure,
    value: typeof value === 'number' ? Number(value.toFixed(3)) : value,
    target: result.targets?.[figure] ?? '',
  }));
  console.log(`\n${result.name} (${Object.entries(result.params).map(([k, v]) => `${k}=${v}`).join(', ')})`);
  console.table(rows);
  if (result.statements) printStatements(result.statements);
  for (const [title, rows] of Object.entries(result.tables ?? {})) {
    console.log(`\n${title}`);
    console.table(rows);
  }
}
