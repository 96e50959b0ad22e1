import pino, { type Logger, type DestinationStream } from 'pino';
import pinoPretty from 'pino-pretty';

export type { Logger };

/**
 * Paths pino blanks out wherever they appear. Code must not log secrets in the first place; this is
 * the net under that rule (an SDK error object, for one, carries the Plaid secret in its headers).
 */
export const REDACTED_PATHS = [
  'access_token',
  'accessToken',
  'public_token',
  'secret',
  'password',
  'authorization',
  'cookie',
  '*.access_token',
  '*.accessToken',
  '*.public_token',
  '*.secret',
  '*.password',
  '*.authorization',
  '*.cookie',
  'headers.authorization',
  'headers.cookie',
  'headers["plaid-secret"]',
  'headers["PLAID-SECRET"]',
  'config.headers',
  'err.config',
  'error.config',
];

export type LogFormat = 'json' | 'pretty';

/**
 * JSON lines (for log collectors) by default; `pretty` is for a person at a terminal: one coloured line
 * per entry, written synchronously so nothing is lost when the process exits.
 */
export function createLogger(level: string, destination?: DestinationStream, format: LogFormat = 'json'): Logger {
  const stream =
    format === 'pretty'
      ? pinoPretty({
          destination: destination ?? 1,
          sync: true,
          singleLine: true,
          colorize: destination === undefined && process.stdout.isTTY,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname,service',
        })
      : destination;
  return pino(
    {
      level,
      base: { service: 'plaid-sync' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    stream,
  );
}
