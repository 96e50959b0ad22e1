import { Configuration, PlaidApi, PlaidEnvironments } from 'plaid';

/** The axios instance type as the SDK declares it (its CommonJS view of axios). */
export type PlaidAxios = ConstructorParameters<typeof PlaidApi>[2];

export interface PlaidClientOptions {
  env: 'simulator' | 'sandbox' | 'production';
  clientId: string;
  secret: string;
  /** Overrides the host (a local simulator, or a proxy); a trailing slash is removed. */
  baseUrl?: string | undefined;
  timeoutMs?: number;
  /** The axios instance the SDK sends through (e.g. one with metrics interceptors). */
  axios?: PlaidAxios;
}

/** The official SDK client; every Plaid call in the service goes through one of these. */
export function createPlaidClient(options: PlaidClientOptions): PlaidApi {
  const basePath = options.baseUrl?.replace(/\/+$/, '') ?? (options.env === 'production' ? PlaidEnvironments.production : PlaidEnvironments.sandbox);
  if (options.env === 'simulator' && options.baseUrl === undefined) {
    throw new Error('simulator mode needs the simulator base URL');
  }
  return new PlaidApi(
    new Configuration({
      basePath,
      baseOptions: {
        headers: { 'PLAID-CLIENT-ID': options.clientId, 'PLAID-SECRET': options.secret },
        // The axios default is no timeout at all; a hung Plaid call must not hold a worker forever.
        timeout: options.timeoutMs ?? 30_000,
      },
    }),
    basePath,
    options.axios,
  );
}
