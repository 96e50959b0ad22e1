import { randomUUID } from 'node:crypto';
import type { SimulatorControl } from '../../src/simulator/index.js';
import { TEST_API_TOKEN } from './app.js';

interface RequestTarget {
  request(input: string, init?: RequestInit): Response | Promise<Response>;
}

// Response bodies are untyped JSON here; tests assert on them field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface ApiResponse<T = Json> {
  status: number;
  body: T;
}

/** Calls /api as the app, for one end user; every response is also handed to `onResponse`. */
export function apiClient(app: RequestTarget, userId: string = randomUUID(), onResponse?: (text: string) => void) {
  async function call<T = Json>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${TEST_API_TOKEN}`, 'x-user-id': userId };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await app.request(`/api${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    onResponse?.(text);
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
  }
  return {
    userId,
    get: <T = Json>(path: string) => call<T>('GET', path),
    post: <T = Json>(path: string, body?: unknown) => call<T>('POST', path, body),
    patch: <T = Json>(path: string, body?: unknown) => call<T>('PATCH', path, body),
    delete: <T = Json>(path: string) => call<T>('DELETE', path),
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

/**
 * The whole Link flow as the app drives it: a link token from the API, the user finishing Link
 * in the simulator, then the exchange. Returns the exchange response.
 */
export async function linkThroughApi(
  api: ApiClient,
  control: SimulatorControl,
  options: { institutionId?: string; products?: string[]; product?: string | null; sendInstitution?: boolean } = {},
) {
  const institutionId = options.institutionId ?? 'ins_109508';
  const token = await api.post('/plaid/link-token', { products: options.products ?? ['transactions'] });
  if (token.status !== 200) throw new Error(`link token failed: ${JSON.stringify(token.body)}`);
  const link = control.completeLink({ linkToken: token.body.link_token, institutionId, transactionCount: 20 });
  const payload: Record<string, unknown> = { public_token: link.publicToken };
  if (options.product !== null) payload.product = options.product ?? 'transactions';
  if (options.sendInstitution !== false) payload.institution = { institution_id: institutionId, name: 'Test Bank' };
  const exchanged = await api.post('/plaid/transactions/exchange', payload);
  return { ...exchanged, plaidItemId: link.itemId };
}
