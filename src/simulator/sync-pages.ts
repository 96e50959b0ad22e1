import type { ChangeLog } from './change-log.js';
import { jsonMembers } from './prepared-json.js';

/** What a /transactions/sync page depends on, besides the log it reads. */
export interface PageRequest {
  /** Log position the pagination started from (decides added vs modified vs removed). */
  start: number;
  /** Log position this page starts scanning at. */
  position: number;
  count: number;
  accountId: string | undefined;
  /** `options.include_original_description`. */
  descriptions: boolean;
}

/** A page's transactions, serialized. */
export interface SerializedPage {
  /** `"added":[…],"modified":[…],"removed":[…]` as JSON bytes. */
  members: Buffer;
  /** Accounts of the page's transactions (the response lists only those). */
  accountIds: Set<string>;
  /** Scan position after this page. */
  next: number;
  hasMore: boolean;
}

/** Prepared pages kept at most, across all Items (each ~600 KB at count 500). */
const MAX_PREPARED = 8;

function serialize(log: ChangeLog, request: PageRequest): SerializedPage {
  const page = log.scan(request.start, request.position, request.count, request.accountId);
  const accountIds = new Set<string>();
  for (const list of [page.added, page.modified, page.removed]) for (const t of list) accountIds.add(t.account_id);
  const described = request.descriptions
    ? (list: typeof page.added) => list.map((t) => ({ ...t, original_description: t.name }))
    : (list: typeof page.added) => list;
  const members = jsonMembers({ added: described(page.added), modified: described(page.modified), removed: page.removed });
  return { members, accountIds, next: page.next, hasMore: page.hasMore };
}

/**
 * Serves /transactions/sync pages, and prepares the next page of a pagination as soon as the
 * current one is answered: a client reads and stores a page before it asks for the next, so the
 * simulator works while the client does instead of after it. Plaid answers from its own machines;
 * on a benchmark's shared cores a simulator that only starts when asked doubles every page's wait.
 *
 * A prepared page is used only for exactly the request it was prepared for, against a log of the
 * same length (the log only grows, and every change appends), so answers are the same bytes as a
 * page built on request.
 */
export class SyncPages {
  private readonly prepared = new Map<ChangeLog, { key: string; page: SerializedPage }>();
  /** The page each log's pending preparation is for; a newer request replaces it. */
  private readonly wanted = new Map<ChangeLog, string>();

  constructor(private readonly closing: AbortSignal) {}

  page(log: ChangeLog, request: PageRequest): SerializedPage {
    const key = keyOf(log, request);
    const ready = this.prepared.get(log);
    this.prepared.delete(log);
    this.wanted.delete(log);
    const page = ready?.key === key ? ready.page : serialize(log, request);
    if (page.hasMore) this.prepareLater(log, { ...request, position: page.next });
    return page;
  }

  /** Prepared pages waiting for their request. */
  get size(): number {
    return this.prepared.size;
  }

  private prepareLater(log: ChangeLog, request: PageRequest): void {
    const key = keyOf(log, request);
    this.wanted.set(log, key);
    // After this turn of the event loop, so the current page's bytes go out first.
    setImmediate(() => {
      if (this.wanted.get(log) !== key) return;
      this.wanted.delete(log);
      // A change since (the log grew) makes the request a mutation error or a different page.
      if (this.closing.aborted || keyOf(log, request) !== key) return;
      this.prepared.set(log, { key, page: serialize(log, request) });
      for (const oldest of this.prepared.keys()) {
        if (this.prepared.size <= MAX_PREPARED) break;
        this.prepared.delete(oldest);
      }
    });
  }
}

function keyOf(log: ChangeLog, request: PageRequest): string {
  return `${log.length}:${request.start}:${request.position}:${request.count}:${request.accountId ?? ''}:${request.descriptions ? 1 : 0}`;
}
