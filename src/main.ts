import { ConfigError } from './config/config-error.js';
import { loadConfig } from './config/load-config.js';
import { createLogger } from './logger.js';
import { startService } from './service.js';
import { errorLogFields } from './error-log-fields.js';

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = await loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const { config, createdDevSecrets } = loaded;
  const logger = createLogger(config.logLevel);

  const service = await startService(config, logger);
  logger.info({ url: service.url, plaidEnv: config.plaid.env }, 'service_started');

  if (createdDevSecrets) {
    // Shown once, on the first start in simulator mode; they are kept in DATA_DIR/dev-secrets.json.
    process.stderr.write(
      [
        '',
        'plaid-sync is running in simulator mode with generated development secrets:',
        `  admin page     ${service.url}/admin   (password: ${createdDevSecrets.adminPassword})`,
        `  API token      ${createdDevSecrets.apiToken}`,
        `  kept in        ${config.dataDir}/dev-secrets.json`,
        '',
      ].join('\n'),
    );
  }

  let stoppingSince: number | undefined;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      // A terminal's Ctrl+C can arrive twice (process group and a wrapper relaying it); only a
      // deliberate second signal, a moment later, skips the graceful drain.
      if (Date.now() - stoppingSince < 2000) return;
      logger.warn({ signal }, 'forced_exit');
      process.exit(1);
    }
    stoppingSince = Date.now();
    logger.info({ signal }, 'shutdown_started');
    service.stop().then(
      () => {
        logger.info('shutdown_complete');
        process.exit(0);
      },
      (error: Error) => {
        logger.error(errorLogFields(error), 'shutdown_failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: Error) => {
  process.stderr.write(`plaid-sync failed to start: ${error.message}\n`);
  process.exit(1);
});
