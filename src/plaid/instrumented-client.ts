import axios, { type AxiosInstance, type InternalAxiosRequestConfig } from 'axios';
import type { PlaidApi } from 'plaid';
import type { Metrics } from '../metrics/metrics.js';
import { createPlaidClient, type PlaidAxios, type PlaidClientOptions } from './client.js';
import { classifyPlaidError } from './errors.js';

type PlaidMetrics = Pick<Metrics, 'plaidApiRequests' | 'plaidApiDuration'>;

function endpointOf(config: InternalAxiosRequestConfig | undefined): string {
  try {
    return new URL(config?.url ?? '', config?.baseURL ?? 'http://plaid.invalid').pathname;
  } catch {
    return 'unknown';
  }
}

/**
 * Counts every Plaid call by endpoint and outcome (`ok` or Plaid's error code) and times it, from
 * axios interceptors, so each retry of the adapter's backoff is seen as the call it is.
 */
export function instrumentPlaidAxios(instance: AxiosInstance, metrics: PlaidMetrics): AxiosInstance {
  const started = new WeakMap<object, number>();
  const record = (config: InternalAxiosRequestConfig | undefined, outcome: string) => {
    const endpoint = endpointOf(config);
    metrics.plaidApiRequests.inc({ endpoint, outcome });
    const start = config ? started.get(config) : undefined;
    if (start !== undefined) metrics.plaidApiDuration.observe({ endpoint }, (performance.now() - start) / 1000);
  };
  instance.interceptors.request.use((config) => {
    started.set(config, performance.now());
    return config;
  });
  instance.interceptors.response.use(
    (response) => {
      record(response.config, 'ok');
      return response;
    },
    (error: Error) => {
      record(axios.isAxiosError(error) ? error.config : undefined, classifyPlaidError(error).code);
      return Promise.reject(error);
    },
  );
  return instance;
}

/** The Plaid client with `plaid_api_requests_total` and `plaid_api_request_duration_seconds`. */
export function createInstrumentedPlaidClient(options: PlaidClientOptions, metrics: PlaidMetrics): PlaidApi {
  // The same axios at runtime; the SDK's types see it through CommonJS, ours through ESM.
  const instance = instrumentPlaidAxios(axios.create(), metrics) as unknown as PlaidAxios;
  return createPlaidClient({ ...options, axios: instance });
}
