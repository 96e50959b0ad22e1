import type { ItemStatus } from '../src/db/schema/index.js';

const STATUS_LABELS: Record<ItemStatus, string> = {
  active: 'active',
  needs_reauth: 'needs_reauth',
  disconnected: 'disconnected',
};

/** Colour is never the only signal: every badge carries its label in text. */
export function Badge(props: { tone: string; label: string; title?: string }) {
  return (
    <span class={`badge badge-${props.tone}`} title={props.title}>
      {props.label}
    </span>
  );
}

export interface StatusFacts {
  status: ItemStatus;
  pendingDisconnectAt: Date | null;
  consentExpiresAt: Date | null;
  newAccountsAvailable: boolean;
  /** The last error Plaid reported for the item; on an `active` item it means the item is broken all the same. */
  errorCode: string | null;
}

/** Active by status, but the last status check or sync met a permanent error (INVALID_ACCESS_TOKEN, say). */
export function brokenWhileActive(facts: Pick<StatusFacts, 'status' | 'errorCode'>): boolean {
  return facts.status === 'active' && facts.errorCode !== null;
}

export function expiresSoon(facts: StatusFacts, now = Date.now(), warningDays = 7): boolean {
  if (facts.status === 'disconnected') return false;
  if (facts.pendingDisconnectAt !== null) return true;
  return facts.consentExpiresAt !== null && facts.consentExpiresAt.getTime() < now + warningDays * 86_400_000;
}

export function StatusBadges(props: { item: StatusFacts }) {
  const { item } = props;
  const expiry = item.pendingDisconnectAt ?? item.consentExpiresAt;
  return (
    <span class="badges" data-status={item.status}>
      <Badge tone={item.status} label={STATUS_LABELS[item.status]} />
      {brokenWhileActive(item) && <Badge tone="bad" label="error" title={`Plaid reports ${item.errorCode ?? ''}: the item is not syncing`} />}
      {expiresSoon(item) && (
        <Badge tone="warning" label="pending expiration" title={expiry ? `disconnects at ${expiry.toISOString()}` : undefined} />
      )}
      {item.newAccountsAvailable && item.status !== 'disconnected' && <Badge tone="info" label="new accounts" />}
    </span>
  );
}

const RUN_TONES: Record<string, string> = { running: 'info', succeeded: 'ok', failed: 'bad', abandoned: 'off' };

export function RunStatusBadge(props: { status: string }) {
  return <Badge tone={RUN_TONES[props.status] ?? 'off'} label={props.status} />;
}

const WEBHOOK_TONES: Record<string, string> = {
  processed: 'ok',
  received: 'info',
  ignored: 'off',
  duplicate: 'off',
  orphan: 'warning',
  failed: 'bad',
};

export function WebhookOutcomeBadge(props: { status: string }) {
  return <Badge tone={WEBHOOK_TONES[props.status] ?? 'off'} label={props.status} />;
}
