/**
 * A stand-in for the app's notification endpoint in simulator mode: without APP_WEBHOOK_URL, the
 * service sends its notifications to itself, verifies them as an app would (the `standardwebhooks`
 * package) and keeps the last few for the admin page, so a newcomer sees what an app would receive
 * without writing one. Kept in memory: it is a demonstration, and the deliveries themselves are
 * recorded durably like any other.
 */
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { Webhook } from 'standardwebhooks';
import type { AppWebhookConfig } from '../config/load-config.js';
import { rawHeader } from '../http/raw-body.js';

export const BUILTIN_RECEIVER_PATH = '/simulator/app-notifications';

export interface ReceivedNotice {
  webhookId: string;
  receivedAt: Date;
  /** The signature verified with the receiver's secret (what an app must check first). */
  verified: boolean;
  type: string;
  userId: string | null;
  /** What the notice says, in a line: items, products and position, or the status change. */
  summary: string;
}

function describe(payload: { type?: unknown; data?: Record<string, unknown> }): string {
  const data = payload.data ?? {};
  if (payload.type === 'item.status_changed') {
    return `item ${String(data.item_id)}: ${String(data.old_status)} → ${String(data.new_status)} (action: ${String(data.action)})`;
  }
  const items = Array.isArray(data.item_ids) ? data.item_ids.length : 0;
  const products = Array.isArray(data.products) && data.products.length > 0 ? data.products.join(', ') : 'accounts or statuses only';
  return `${items} item${items === 1 ? '' : 's'}; ${products}`;
}

export class BuiltInReceiver {
  readonly secret = `whsec_${randomBytes(32).toString('base64')}`;
  private readonly kept: ReceivedNotice[] = [];
  private readonly verifier: Webhook;

  constructor(private readonly capacity = 50) {
    this.verifier = new Webhook(this.secret);
  }

  /** Newest first. */
  get notices(): readonly ReceivedNotice[] {
    return this.kept;
  }

  /** Verifies and keeps one notice; false when its signature (or timestamp) does not verify. */
  receive(body: string, headers: { id: string; timestamp: string; signature: string }): boolean {
    let payload: { type?: unknown; data?: Record<string, unknown> } | undefined;
    try {
      payload = this.verifier.verify(body, { 'webhook-id': headers.id, 'webhook-timestamp': headers.timestamp, 'webhook-signature': headers.signature }) as typeof payload;
    } catch {
      payload = undefined;
    }
    const verified = payload !== undefined;
    const shown = payload ?? {};
    this.kept.unshift({
      webhookId: headers.id.slice(0, 80),
      receivedAt: new Date(),
      verified,
      type: verified && typeof shown.type === 'string' ? shown.type : 'unverified',
      userId: verified && typeof shown.data?.user_id === 'string' ? shown.data.user_id : null,
      summary: verified ? describe(shown) : 'signature did not verify: the body is not shown',
    });
    this.kept.length = Math.min(this.kept.length, this.capacity);
    return verified;
  }

  /**
   * POST endpoint the service's own deliveries reach; answers 204 when verified, 400 otherwise. The
   * app's body limit has already read (and bounded) the body.
   */
  routes() {
    return new Hono().post(BUILTIN_RECEIVER_PATH, async (c) => {
      const body = await c.req.text();
      const verified = this.receive(body, {
        id: rawHeader(c, 'webhook-id') ?? '',
        timestamp: rawHeader(c, 'webhook-timestamp') ?? '',
        signature: rawHeader(c, 'webhook-signature') ?? '',
      });
      return c.body(null, verified ? 204 : 400);
    });
  }
}

/** Delivery settings for the built-in receiver: the same path as an app's, with a demo's short retry delay. */
export function builtInAppWebhook(receiver: BuiltInReceiver, port: number): AppWebhookConfig {
  return { url: `http://127.0.0.1:${port}${BUILTIN_RECEIVER_PATH}`, secret: receiver.secret, timeoutMs: 5_000, retryDelaySeconds: 5, retryLimit: 5, concurrency: 2 };
}
