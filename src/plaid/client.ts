import axios, { type AxiosInstance } from 'axios';
import { Configuration, PlaidApi, PlaidEnvironments } from 'plaid';
import { mayHoldUnstorableText, storableJson } from '../db/storable-text.js';
import { parseJsonBytes } from './response-json.js';

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

/**
 * Responses arrive as bytes (`responseType: 'arraybuffer'`; the SDK never asks for another type) and
 * are parsed here: a large page in pieces rather than decoded to one large string first
 * (`parseJsonBytes` says why); a body that is not JSON is handed on as its text, as axios would.
 *
 * Plaid's text is sanitised as it arrives, once, for every endpoint: a NUL or an unpaired surrogate
 * in a transaction name, a merchant, a security or an institution name (or an error message) would
 * otherwise fail every write of that item's data, so its sync could never move forward again. Only
 * JSON escapes can carry them, so a body without a `\u` costs one native byte search, and the walk
 * over the parsed value (`storableJson`, ~1.6 ms for a 500-transaction page) runs only for a body
 * whose text holds a `\u0000` or surrogate escape.
 */
function decodeBody(data: unknown): unknown {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  if (!Buffer.isBuffer(bytes)) return data;
  try {
    const parsed = parseJsonBytes(bytes);
    return bytes.includes('\\u') && mayHoldUnstorableText(bytes.toString('utf8')) ? storableJson(parsed) : parsed;
  } catch {
    return bytes.toString('utf8');
  }
}

/** The official SDK client; every Plaid call in the service goes through one of these. */
export function createPlaidClient(options: PlaidClientOptions): PlaidApi {
  const basePath = options.baseUrl?.replace(/\/+$/, '') ?? (options.env === 'production' ? PlaidEnvironments.production : PlaidEnvironments.sandbox);
  if (options.env === 'simulator' && options.baseUrl === undefined) {
    throw new Error('simulator mode needs the simulator base URL');
  }
  // The same axios at runtime; the SDK's types see it through CommonJS, ours through ESM.
  const instance = (options.axios as unknown as AxiosInstance | undefined) ?? axios.create();
  instance.defaults.transformResponse = [decodeBody];
  return new PlaidApi(
    new Configuration({
      basePath,
      baseOptions: {
        headers: { 'PLAID-CLIENT-ID': options.clientId, 'PLAID-SECRET': options.secret },
        // The axios default is no timeout at all; a hung Plaid call must not hold a worker forever.
        timeout: options.timeoutMs ?? 30_000,
        responseType: 'arraybuffer',
      },
    }),
    basePath,
    instance as unknown as PlaidAxios,
  );
}
