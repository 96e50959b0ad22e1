import { ConfigError } from '../config/config-error.js';
import { loadConfig } from '../config/load-config.js';
import { startEmbeddedPostgres } from '../db/embedded-postgres.js';
import { migrationJournal, runMigrations } from '../db/migrations.js';

/** `npm run db:migrate`: applies the migrations to DATABASE_URL, or to the embedded database. */
async function main(): Promise<void> {
  const { config } = await loadConfig();
  const embedded =
    config.databaseUrl === undefined
      ? await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPostgresPort })
      : undefined;
  try {
    await runMigrations(config.databaseUrl ?? embedded!.url);
    process.stdout.write(`migrations applied: ${migrationJournal().entries.length} in total\n`);
  } finally {
    if (embedded?.started) await embedded.stop();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `migration failed: ${error.message}`}\n`);
  process.exit(1);
});
