import { and, eq, ne } from 'drizzle-orm';
import { plaidItems } from '../db/schema/index.js';
import { ConflictError } from '../http/errors.js';
import { actionFor } from './item-access.js';
import type { Executor } from './item-status.js';

/** The partial unique index on (user_id, institution_id) over items that are not disconnected. */
export const LIVE_INSTITUTION_INDEX = 'plaid_items_user_institution_live_key';

/** The user's item at the institution that is not disconnected, if any. */
export async function findLiveItemAtInstitution(db: Executor, input: { userId: string; institutionId: string }) {
  const [item] = await db
    .select({ id: plaidItems.id, status: plaidItems.status })
    .from(plaidItems)
    .where(and(eq(plaidItems.userId, input.userId), eq(plaidItems.institutionId, input.institutionId), ne(plaidItems.status, 'disconnected')));
  return item;
}

/** 409 naming the item the user already has and what to do with it (`fix` when it needs re-auth). */
export function duplicateInstitutionError(existing: { id: string; status: 'active' | 'needs_reauth' | 'disconnected' }) {
  return new ConflictError('duplicate_institution', 'an item for this institution already exists', {
    existing_item_id: existing.id,
    status: existing.status,
    action: actionFor(existing.status),
  });
}

/** True when a write lost the race on the duplicate-institution index. */
export function violatesLiveInstitutionIndex(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const pg = current as Error & { code?: unknown; constraint_name?: unknown };
    if (pg.code === '23505' && pg.constraint_name === LIVE_INSTITUTION_INDEX) return true;
  }
  return false;
}
