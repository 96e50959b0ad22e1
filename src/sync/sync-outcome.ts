import type { PlaidErrorKind } from '../plaid/errors.js';

/** What one run wrote, as Plaid reported it (for products without added/modified/removed, rows upserted/deleted). */
export interface SyncCounts {
  pages: number;
  added: number;
  modified: number;
  removed: number;
}

export interface SyncFailure {
  /** Plaid's `error_code`, or a local code (`ITEM_DISCONNECTED`, `INTERNAL_ERROR`, ...). */
  code: string;
  /** Safe to show: Plaid's developer message or our own text, never an SDK error dump. */
  message: string;
  kind: PlaidErrorKind | 'internal';
}

/**
 * Why no run happened: the item is gone, disconnected, lacks the product or is not entitled to it; an
 * unattended trigger met a product in a wait state (`product_waiting`: no accounts, consent or
 * readiness missing); the trigger was booked as the follow-up of another process's run
 * (`coalesced`); or the engine is shutting down.
 */
export type SkipReason = 'item_not_found' | 'item_disconnected' | 'product_unsupported' | 'product_not_entitled' | 'product_waiting' | 'coalesced' | 'stopped';

/**
 * The result of asking for a run: the run the caller started or joined, or why none ran.
 * `startedAt` is the run row's start (database clock), so a caller can tell whether the run began
 * after its own request without reading the row again.
 */
export type SyncOutcome =
  | { status: 'succeeded'; runId: string; counts: SyncCounts; changed: boolean; startedAt?: Date }
  | { status: 'failed'; runId: string | null; counts: SyncCounts; error: SyncFailure; startedAt?: Date }
  | { status: 'skipped'; runId: null; reason: SkipReason };

export const EMPTY_COUNTS: SyncCounts = Object.freeze({ pages: 0, added: 0, modified: 0, removed: 0 });
