import { createHash, createPublicKey, timingSafeEqual, verify } from 'node:crypto';
import { http } from 'msw';
import type { SetupServer } from 'msw/node';
import { Configuration, PlaidApi } from 'plaid';
import type { JWKPublicKey, PlaidError } from 'plaid';
import { createSimulator } from '../../src/simulator/index.js';
import type { DeliverWebhook, Simulator, SimulatorOptions } from '../../src/simulator/index.js';

export const BASE = 'https://simulator.plaid.test';
export const CLIENT_ID = 'test-client';
export const SECRET = 'test-secret';

export function plaidClient(basePath = BASE, secret = SECRET): PlaidApi {
  return new PlaidApi(new Configuration({
    basePath,
    baseOptions: { headers: { 'PLAID-CLIENT-ID': CLIENT_ID, 'PLAID-SECRET': secret } },
  }));
}

export interface ReceivedWebhook {
  url: string;
  headers: Record<string, string>;
  body: string;
  payload: Record<string, unknown>;
}

/** An in-process webhook receiver; `answer` picks the HTTP status per attempt (1-based). */
export function webhookRecorder(answer: (attempt: number, hook: ReceivedWebhook) => number | Promise<number> = () => 200) {
  const received: ReceivedWebhook[] = [];
  const deliver: DeliverWebhook = async (url, init) => {
    const hook = { url, headers: init.headers, body: init.body, payload: JSON.parse(init.body) as Record<string, unknown> };
    received.push(hook);
    return { status: await answer(received.length, hook) };
  };
  return { received, deliver, codes: () => received.map((h) => `${String(h.payload.webhook_type)}:${String(h.payload.webhook_code)}`) };
}

/** A simulator served to the SDK through msw for the duration of one test. */
export function mswSimulator(server: SetupServer, options: Partial<SimulatorOptions> = {}): Simulator {
  const sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET, seed: 7, ...options });
  server.use(http.all(`${BASE}/*`, ({ request }) => sim.fetch(request)));
  return sim;
}

export function plaidErrorOf(error: unknown): { status: number; data: PlaidError } {
  const response = (error as { isAxiosError?: boolean; response?: { status: number; data: PlaidError } }).response;
  if ((error as { isAxiosError?: boolean }).isAxiosError !== true || !response) throw error;
  return { status: response.status, data: response.data };
}

export async function expectPlaidError(promise: Promise<unknown>): Promise<{ status: number; data: PlaidError }> {
  try {
    await promise;
  } catch (error) {
    return plaidErrorOf(error);
  }
  throw new Error('expected the call to fail');
}

/**
 * Webhook verification written from Plaid's documentation with node:crypto only, independent of the
 * simulator's signer.
 */
export async function verifyWebhook(
  jwt: string,
  rawBody: string,
  getKey: (kid: string) => Promise<JWKPublicKey>,
  nowSeconds = Date.now() / 1000,
): Promise<{ kid: string; claims: { iat: number; request_body_sha256: string } }> {
  const [h, p, s] = jwt.split('.');
  if (h === undefined || p === undefined || s === undefined) throw new Error('malformed jwt');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg: string; kid: string; typ: string };
  if (header.alg !== 'ES256') throw new Error('alg');
  const key = await getKey(header.kid);
  if (key.expired_at !== null) throw new Error('expired key');
  const publicKey = createPublicKey({ key: { kty: key.kty, crv: key.crv, x: key.x, y: key.y }, format: 'jwk' });
  const ok = verify('sha256', Buffer.from(`${h}.${p}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
  if (!ok) throw new Error('bad signature');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { iat: number; request_body_sha256: string };
  if (nowSeconds - claims.iat > 300) throw new Error('stale');
  const digest = createHash('sha256').update(rawBody).digest('hex');
  if (digest.length !== claims.request_body_sha256.length || !timingSafeEqual(Buffer.from(digest), Buffer.from(claims.request_body_sha256))) {
    throw new Error('body hash mismatch');
  }
  return { kid: header.kid, claims };
}

/** Pages /transactions/sync from `cursor` to has_more false; returns the pages and the final cursor. */
export async function pageAll(client: PlaidApi, accessToken: string, cursor: string | undefined, count = 500) {
  const pages: Awaited<ReturnType<PlaidApi['transactionsSync']>>['data'][] = [];
  let next = cursor;
  for (;;) {
    const { data } = await client.transactionsSync({ access_token: accessToken, cursor: next, count });
    pages.push(data);
    next = data.next_cursor;
    if (!data.has_more) return { pages, cursor: next };
  }
}
