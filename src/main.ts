import { ConfigError } from './config/config-error.js';
import { loadConfig } from './config/load-config.js';
import { startupBanner } from './lifecycle/startup-banner.js';
import { StartupAborted, StartupError } from './lifecycle/startup-error.js';
import { StopStack } from './lifecycle/stop-stack.js';
import { errorLogFields } from './error-log-fields.js';
import { createLogger, type Logger } from './logger.js';
import { startService, type RunningService } from './service.js';

/** A terminal's Ctrl+C can arrive twice (process group and a wrapper such as npm relaying it). */
const REPEATED_SIGNAL_MS = 2_000;

let logger: Logger | undefined;
const stops = new StopStack();
const abort = new AbortController();
let service: RunningService | undefined;
let stoppingSince: number | undefined;

function exitAfter(work: Promise<void>, code: number): void {
  void work.finally(() => process.exit(code));
}

/**
 * Installed before anything starts, so a signal at any instant stops exactly what has been started:
 * during start-up it aborts at the next step (which undoes the steps before it), afterwards it drains.
 * A deliberate second signal skips the drain but still stops the embedded PostgreSQL and frees DATA_DIR.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (stoppingSince !== undefined) {
    if (Date.now() - stoppingSince < REPEATED_SIGNAL_MS) return;
    logger?.warn({ signal }, 'forced_exit');
    exitAfter(stops.unwind({ essentialOnly: true }), 1);
    return;
  }
  stoppingSince = Date.now();
  logger?.info({ signal }, 'shutdown_started');
  abort.abort();
  // Still starting: `startService` sees the abort after its current step, stops what it started and throws.
  if (service === undefined) return;
  service.stop().then(
    () => {
      logger?.info('shutdown_complete');
      process.exit(0);
    },
    (error: Error) => {
      logger?.error(errorLogFields(error), 'shutdown_failed');
      process.exit(1);
    },
  );
}

async function main(): Promise<void> {
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A crash still stops the embedded PostgreSQL and frees DATA_DIR; only SIGKILL leaves them behind
  // (the next start then reuses the server and takes over the stale lock).
  process.on('uncaughtException', (error) => {
    if (logger) logger.fatal(errorLogFields(error), 'crashed');
    else process.stderr.write(`plaid-sync crashed: ${error.stack ?? error.message}\n`);
    exitAfter(stops.unwind({ essentialOnly: true }), 1);
  });

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
  const { config, devSecrets, createdDevSecrets } = loaded;
  logger = createLogger(config.logLevel, undefined, config.logFormat);
  stops.setLogger(logger);

  try {
    service = await startService(config, logger, { signal: abort.signal, stops });
  } catch (error) {
    // A step can also fail because the terminal's Ctrl+C reached a helper process it ran: once a stop
    // was asked for, ending here is the requested stop (everything started has been stopped already).
    if (error instanceof StartupAborted || abort.signal.aborted) {
      logger.info('shutdown_complete');
      process.exit(0);
    }
    throw error;
  }
  logger.info({ url: service.url, plaidEnv: config.plaid.env }, 'service_started');
  if (devSecrets !== undefined) {
    process.stderr.write(startupBanner({ config, devSecrets, generated: createdDevSecrets !== undefined, url: service.url, simulatorUrl: service.simulatorUrl }));
  }
}

main().catch((error: Error) => {
  const line = error instanceof StartupError ? `plaid-sync: ${error.message}` : `plaid-sync failed to start: ${error.message}`;
  process.stderr.write(`${line}\n`);
  process.exit(1);
});
