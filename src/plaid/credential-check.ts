import type { PlaidApi } from 'plaid';
import { CountryCode } from 'plaid';
import { StartupError } from '../lifecycle/startup-error.js';
import type { Logger } from '../logger.js';
import { classifyPlaidError } from './errors.js';

/** A Plaid that does not answer in this time is treated as unreachable (the start goes on). */
const CHECK_TIMEOUT_MS = 10_000;

/**
 * Proves at start-up that the keys belong to the chosen Plaid environment, with the cheapest call
 * that needs them: `/institutions/get` for one institution reads no item, bills nothing and is the
 * same in Sandbox and Production. Wrong keys (or keys of the other environment) answer
 * `INVALID_API_KEYS`: start-up stops with one line saying so, instead of every job failing later.
 * A Plaid that cannot be reached right now is not a configuration error: the start goes on, warned.
 */
export async function checkPlaidCredentials(plaid: PlaidApi, input: { env: 'sandbox' | 'production'; logger: Logger }): Promise<void> {
  try {
    await plaid.institutionsGet({ count: 1, offset: 0, country_codes: [CountryCode.Us] }, { timeout: CHECK_TIMEOUT_MS });
  } catch (error) {
    const failure = classifyPlaidError(error);
    if (failure.kind === 'transient') {
      input.logger.warn({ plaidEnv: input.env, plaidErrorCode: failure.code }, 'plaid_credentials_unchecked');
      return;
    }
    if (failure.code === 'INVALID_API_KEYS') {
      throw new StartupError(
        `Plaid refused PLAID_CLIENT_ID / PLAID_SECRET for its ${input.env} environment (INVALID_API_KEYS): use that environment's secret from the Plaid dashboard, or set PLAID_ENV to the environment the keys belong to`,
      );
    }
    throw new StartupError(`Plaid refused the start-up check of the credentials for its ${input.env} environment (${failure.code}: ${failure.message})`);
  }
  input.logger.info({ plaidEnv: input.env }, 'plaid_credentials_checked');
}
