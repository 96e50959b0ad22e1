import type { Clock } from './clock.js';
import type { WebhookSigner } from './webhook-signer.js';

export type DeliverWebhook = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string },
) => Promise<{ status: number }>;

export interface WebhookAttempt {
  attempt: number;
  /** ISO time the attempt started. */
  at: string;
  /** HTTP status, or null when the receiver did not answer in time or the connection failed. */
  status: number | null;
  error: string | null;
}

export interface WebhookDelivery {
  id: number;
  item_id: string;
  url: string;
  webhook_type: string;
  webhook_code: string;
  /** The exact bytes sent (2-space indented JSON). */
  body: string;
  attempts: WebhookAttempt[];
  state: 'pending' | 'delivered' | 'failed' | 'cancelled';
}

export interface WebhookPayload {
  webhook_type: string;
  webhook_code: string;
  item_id: string;
}

const FIRST_RETRY_MS = 30_000;
const BACKOFF = 4;
const RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Plaid's retry schedule: 30 s, then ×4 each time, for as long as the next try falls within 24 h. */
export function retryDelays(): number[] {
  const delays: number[] = [];
  let elapsed = 0;
  for (let delay = FIRST_RETRY_MS; elapsed + delay <= RETRY_WINDOW_MS; delay *= BACKOFF) {
    delays.push(delay);
    elapsed += delay;
  }
  return delays;
}

export const defaultDeliver: DeliverWebhook = async (url, init) => {
  const response = await fetch(url, init);
  await response.body?.cancel();
  return { status: response.status };
};

export class WebhookDispatcher {
  private readonly log: WebhookDelivery[] = [];
  private readonly cancels = new Map<number, () => void>();
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private closed = false;
  private readonly delays = retryDelays();

  constructor(
    private readonly clock: Clock,
    private readonly signer: WebhookSigner,
    private readonly deliver: DeliverWebhook,
    private readonly timeoutMs: number,
  ) {}

  send(url: string, payload: WebhookPayload): WebhookDelivery {
    const delivery: WebhookDelivery = {
      id: this.log.length + 1,
      item_id: payload.item_id,
      url,
      webhook_type: payload.webhook_type,
      webhook_code: payload.webhook_code,
      body: JSON.stringify(payload, null, 2),
      attempts: [],
      state: 'pending',
    };
    this.log.push(delivery);
    if (this.closed) {
      delivery.state = 'cancelled';
      return delivery;
    }
    this.inFlight++;
    void this.attempt(delivery);
    return delivery;
  }

  deliveries(): readonly WebhookDelivery[] {
    return this.log;
  }

  /** Resolves once no delivery is in flight or waiting for a retry. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const cancel of this.cancels.values()) cancel();
    this.cancels.clear();
    for (const delivery of this.log) if (delivery.state === 'pending') delivery.state = 'cancelled';
    this.inFlight = 0;
    this.settle();
  }

  private async attempt(delivery: WebhookDelivery): Promise<void> {
    const record: WebhookAttempt = { attempt: delivery.attempts.length + 1, at: this.clock.iso(), status: null, error: null };
    delivery.attempts.push(record);
    const headers = { 'Content-Type': 'application/json', 'Plaid-Verification': this.signer.sign(delivery.body) };
    try {
      const { status } = await this.withTimeout(this.deliver(delivery.url, { method: 'POST', headers, body: delivery.body }));
      record.status = status;
    } catch (error) {
      record.error = error instanceof Error ? error.message : 'delivery failed';
    }
    if (delivery.state !== 'pending') return;
    if (record.status === 200) return this.finish(delivery, 'delivered');
    const delay = this.delays[delivery.attempts.length - 1];
    if (delay === undefined) return this.finish(delivery, 'failed');
    const cancel = this.clock.after(delay, () => {
      this.cancels.delete(delivery.id);
      void this.attempt(delivery);
    });
    this.cancels.set(delivery.id, cancel);
  }

  private finish(delivery: WebhookDelivery, state: 'delivered' | 'failed'): void {
    delivery.state = state;
    this.inFlight--;
    this.settle();
  }

  private settle(): void {
    if (this.inFlight > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      promise.then(
        (value) => { clearTimeout(timer); resolve(value); },
        (error: unknown) => { clearTimeout(timer); reject(error instanceof Error ? error : new Error('delivery failed')); },
      );
    });
  }
}
