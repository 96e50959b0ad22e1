import pino, { type Logger, type DestinationStream } from 'pino';

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

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'plaid-sync' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination,
  );
}
