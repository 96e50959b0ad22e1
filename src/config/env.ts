import { z } from 'zod';

export const PLAID_ENVS = ['simulator', 'sandbox', 'production'] as const;
export type PlaidEnv = (typeof PLAID_ENVS)[number];

/** The value of `WEBHOOK_URL` that says "no webhooks" outright, so a forgotten one is not mistaken for it. */
export const WEBHOOK_URL_NONE = 'none';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const LOG_FORMATS = ['json', 'pretty'] as const;

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

/**
 * A setting left blank (`WORKER_CONCURRENCY=` in an env file, an empty value in a config map) is
 * unset and takes its default. Coerced as it is, a blank number reads as 0, which would make an
 * instance HTTP-only, turn a pause off or pick a random port without a word.
 */
function withoutBlankValues(env: unknown): unknown {
  if (typeof env !== 'object' || env === null) return env;
  return Object.fromEntries(Object.entries(env).filter(([, value]) => !(typeof value === 'string' && value.trim() === '')));
}

const port = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(0, 'must be between 0 and 65535')
  .max(65535, 'must be between 0 and 65535');

const positiveInt = (fallback: number) =>
  z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').default(fallback);

/** The settings the service reads, each with its rule and default. */
export const envFields = z.object({
  PORT: port.default(3000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: optionalString.pipe(
    z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' }).optional(),
  ),
  DATA_DIR: z.string().min(1).default('./.data'),
  EMBEDDED_POSTGRES_PORT: port.default(54329),
  PLAID_ENV: z.enum(PLAID_ENVS, { error: `must be one of ${PLAID_ENVS.join(', ')}` }).optional(),
  PLAID_CLIENT_ID: optionalString,
  PLAID_SECRET: optionalString,
  PLAID_BASE_URL: optionalString.pipe(z.url({ error: 'must be an http(s) URL' }).optional()),
  // `none`: run without webhooks on purpose (the hourly status check alone); checked against the mode in load-config.
  WEBHOOK_URL: optionalString.pipe(z.union([z.literal(WEBHOOK_URL_NONE), z.url({ error: 'must be an http(s) URL or none' })]).optional()),
  TOKEN_ENCRYPTION_KEY: optionalString,
  API_TOKENS: optionalString,
  ADMIN_PASSWORD: optionalString,
  // Parsed and checked against the mode in load-config (a comma list of origins).
  PUBLIC_URL: optionalString,
  METRICS_ALLOWED_HOSTS: optionalString,
  ADMIN_SESSION_IDLE_TIMEOUT_SECONDS: positiveInt(30 * 60),
  ADMIN_SESSION_ABSOLUTE_TIMEOUT_SECONDS: positiveInt(8 * 60 * 60),
  ADMIN_LOGIN_WINDOW_SECONDS: positiveInt(15 * 60),
  ADMIN_LOGIN_MAX_FAILURES_PER_ADDRESS: positiveInt(5),
  ADMIN_LOGIN_MAX_FAILURES_TOTAL: positiveInt(10),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  LOG_FORMAT: z.enum(LOG_FORMATS, { error: `must be one of ${LOG_FORMATS.join(', ')}` }).default('json'),
  SYNC_CRON: z.string().min(1).default('0 * * * *'),
  // 0: this instance takes no jobs (serves HTTP only; workers run in other instances on the database).
  WORKER_CONCURRENCY: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more').default(8),
  // Longest pause of the workers while the webhook intake is under a burst (and the budget time not paused refills); 0: never.
  WORKER_INTAKE_YIELD_SECONDS: z.coerce.number({ error: 'must be a number' }).min(0, 'must be 0 or more').max(300, 'must be 300 or less').default(10),
  SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
  WEBHOOK_MAX_BODY_BYTES: positiveInt(64 * 1024),
  // Every other body is bounded too: /api JSON (and anything outside /admin and the webhook), admin forms.
  API_MAX_BODY_BYTES: positiveInt(64 * 1024),
  ADMIN_MAX_FORM_BYTES: positiveInt(16 * 1024),
  ADMIN_MAX_FORM_FIELDS: positiveInt(32),
  WEBHOOK_DEDUPE_WINDOW_SECONDS: positiveInt(300),
  STATUS_CHECKS_PER_MINUTE: positiveInt(600),
  QUEUE_POLL_INTERVAL_SECONDS: z.coerce.number({ error: 'must be a number' }).min(0.5, 'must be at least 0.5').default(2),
  CRON_CHECK_INTERVAL_SECONDS: positiveInt(30),
  SYNC_STALE_AFTER_SECONDS: positiveInt(60),
  // Days of change feed kept; an app whose cursor is older rebuilds from a snapshot (410 cursor_expired).
  CHANGE_FEED_RETENTION_DAYS: positiveInt(30),
  // Notifications to the app (Standard Webhooks): both or neither; checked together in load-config.
  APP_WEBHOOK_URL: optionalString.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional()),
  APP_WEBHOOK_SECRET: optionalString,
  APP_WEBHOOK_TIMEOUT_MS: positiveInt(10_000),
  // First retry after about this long, doubling: 60 s and 12 retries keep trying for more than 24 hours.
  APP_WEBHOOK_RETRY_DELAY_SECONDS: positiveInt(60),
  APP_WEBHOOK_RETRY_LIMIT: positiveInt(12),
  // Deliveries at once in this instance, in their own pool: a slow app never takes a sync's slot.
  APP_WEBHOOK_CONCURRENCY: positiveInt(4),
});

/** The raw environment as the operator writes it (blank values unset); secrets are checked against the mode later. */
export const envSchema = z.preprocess(withoutBlankValues, envFields);

export type RawEnv = z.output<typeof envSchema>;
