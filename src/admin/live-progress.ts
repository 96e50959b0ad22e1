import { createHash } from 'node:crypto';
import type { Sql } from '../db/client.js';
import type { LiveProgress } from '../../views/item-row.js';
import type { ItemSummary } from './item-list-query.js';

/**
 * How often an idle fragment (the items list, an item's live part) asks whether anything changed:
 * a webhook, a scheduled status check or another operator can change what it shows at any time.
 */
export const IDLE_POLL_SECONDS = 5;

/** A short digest of what a fragment shows; an idle poll that sends it back gets 204 while it still matches. */
export function versionOf(shown: unknown): string {
  return createHash('sha256').update(JSON.stringify(shown)).digest('base64url').slice(0, 16);
}

/** `url` with the version of what it rendered, for the idle poll. */
export function versionedUrl(url: string, version: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}v=${version}`;
}

/** How long a fragment keeps polling for queued work that has not started. */
export const WAIT_FOR_START_MS = 60_000;

/** The database's clock, so a run's `started_at` and the moment an action asked for it compare on one clock. */
export async function databaseNow(sql: Sql): Promise<Date> {
  const [row] = await sql<{ now: string }[]>`select to_json(now()) as now`;
  return new Date(row!.now);
}

/** `since` from a polling URL: epoch milliseconds, ignored when malformed. */
export function parseSince(value: string | undefined): Date | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value)) return undefined;
  return new Date(Number(value));
}

/**
 * A fragment polls while a run of the item is running, and, after an action, until a run that
 * started after the action has come and gone: the queue may take a moment to pick the job up.
 */
export function liveProgress(
  item: Pick<ItemSummary, 'running' | 'latestRunStartedAt'>,
  input: { pollPath: string; since: Date | undefined; now?: number },
): LiveProgress {
  const now = input.now ?? Date.now();
  const since = input.since;
  const started = since !== undefined && item.latestRunStartedAt !== null && item.latestRunStartedAt.getTime() >= since.getTime();
  const waiting = since !== undefined && !started && now - since.getTime() < WAIT_FOR_START_MS;
  if (item.running.length === 0 && !waiting) return { waiting: false };
  const query = waiting ? `?since=${since.getTime()}` : '';
  return { waiting, pollUrl: `${input.pollPath}${query}` };
}
