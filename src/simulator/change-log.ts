import type { RemovedTransaction, Transaction } from 'plaid';
import { IntColumn } from './int-column.js';
import type { Rng } from './prng.js';
import type { TransactionFactory } from './transaction-factory.js';

/**
 * An Item's transaction history as an append-only log.
 *
 * Positions 0..baseCount-1 are the initial history: entry i adds the transaction whose target is i,
 * generated on demand. Each later position is a compact event record (op, target, aux, day) appended
 * by an advance. A transaction is identified by its target: the position that created it.
 *
 * A sync from cursor position s reports each transaction whose *latest* entry lies at or after s,
 * exactly once, at that latest entry (so in ascending last-modified order): created at or after s and
 * alive → added; created before s and alive → modified; created before s and removed → removed;
 * created at or after s and already removed → nothing. Entries superseded by a later entry for the
 * same target are skipped. Every transaction therefore appears at most once per pagination, so a
 * client applying each page's added, then modified, then removed reaches exactly the current state.
 *
 * Phased readiness: the initial history older than a cut-off day can start hidden (Plaid extracts
 * about 30 days first). Its positions report nothing until `revealHistory()` appends one reveal
 * event per hidden transaction; a revealed transaction counts as created at its reveal event, so a
 * client that synced the recent days gets the older ones as `added` on its next sync.
 */
export const Op = { Add: 0, Modify: 1, Remove: 2 } as const;
type OpCode = (typeof Op)[keyof typeof Op];

/** aux of an Add event: ≥ 0 is the pending target it posts; these mark brand-new transactions. */
const NEW_POSTED = -1;
const NEW_PENDING = -2;
/** aux of an Add event that makes a hidden initial-history transaction visible (the historical update). */
const REVEALED = -3;

export interface AdvanceSpec {
  added?: number;
  modified?: number;
  removed?: number;
  posted?: number;
  /** Names for the added transactions, in order (hostile text included): the rest keep their merchant's. */
  names?: string[];
}

export interface AdvanceSummary {
  added: string[];
  modified: string[];
  removed: string[];
  posted: { pending_transaction_id: string; transaction_id: string }[];
}

/** The events appended after the initial history, as saved simulator state keeps them. */
export interface SavedEvents {
  ops: string;
  targets: string;
  aux: string;
  days: string;
}

export interface SyncPage {
  added: Transaction[];
  modified: Transaction[];
  removed: RemovedTransaction[];
  /** Scan position after this page. */
  next: number;
  hasMore: boolean;
}

type Kind = 'added' | 'modified' | 'removed';

export class ChangeLog {
  private readonly ops = new IntColumn();
  private readonly targets = new IntColumn();
  private readonly aux = new IntColumn();
  private readonly days = new IntColumn();
  /** target → position of its latest event; only targets touched after the initial history. */
  private readonly latest = new Map<number, number>();
  private readonly pending = new Set<number>();
  private readonly createdByEvents = new IntColumn();
  /** Initial-history targets below this are hidden until revealed. */
  private hiddenBelow = 0;
  /** Revealed target → the position of its reveal event (where it counts as created). */
  private readonly revealedAt = new Map<number, number>();
  private readonly basePending: number;
  private readonly firstDay: number;
  private readonly span: number;
  private alive: number;

  constructor(
    private readonly factory: TransactionFactory,
    readonly baseCount: number,
    private readonly today: number,
    readonly historyDays: number,
  ) {
    this.basePending = factory.hasAccounts && baseCount >= 4 ? Math.min(25, Math.max(1, Math.floor(baseCount * 0.02))) : 0;
    this.firstDay = today - historyDays;
    this.span = Math.max(1, historyDays - 1);
    this.alive = factory.hasAccounts ? baseCount : 0;
    for (let t = baseCount - this.basePending; t < baseCount; t++) this.pending.add(t);
  }

  get length(): number {
    return (this.factory.hasAccounts ? this.baseCount : 0) + this.ops.length;
  }

  get count(): number {
    return this.alive;
  }

  /** Bytes held for the events (the initial history costs nothing). */
  get eventBytes(): number {
    return this.ops.bytes * 4 + this.createdByEvents.bytes + this.latest.size * 16 + this.pending.size * 8;
  }

  private get base(): number {
    return this.factory.hasAccounts ? this.baseCount : 0;
  }

  /** Initial-history transactions still hidden (0 once revealed, or when none ever were). */
  get hiddenCount(): number {
    return this.hiddenBelow;
  }

  /**
   * Hides the initial history dated before `day` (the dates rise with the position). Only on a log
   * nothing has been appended to: the hidden part is fixed from the start.
   */
  hideHistoryBefore(day: number): void {
    const posted = this.base - this.basePending;
    let low = 0;
    let high = posted;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.baseDay(mid) < day) low = mid + 1;
      else high = mid;
    }
    this.hideFirst(low);
  }

  /** Hides the first `count` initial-history transactions (saved state restores it this way). */
  hideFirst(count: number): void {
    if (this.ops.length > 0) throw new Error('history is hidden on a fresh change log only');
    this.hiddenBelow = Math.min(count, this.base - this.basePending);
  }

  /** The historical update: every hidden transaction is appended as a reveal event, in date order. */
  revealHistory(day: number): number {
    const hidden = this.hiddenBelow;
    this.hiddenBelow = 0;
    for (let target = 0; target < hidden; target++) this.append(Op.Add, target, REVEALED, day);
    return hidden;
  }

  scan(start: number, from: number, count: number, accountId?: string): SyncPage {
    const page: SyncPage = { added: [], modified: [], removed: [], next: from, hasMore: false };
    const end = this.length;
    let pos = from;
    let emitted = 0;
    while (pos < end && emitted < count) {
      if (this.emit(pos, start, page, accountId)) emitted++;
      pos++;
    }
    // Skip trailing superseded entries so has_more never promises an empty page.
    while (pos < end && this.classify(pos, start) === null) pos++;
    page.next = pos;
    page.hasMore = pos < end;
    return page;
  }

  /** The current version of every live transaction (hidden history included: the bank has it), in creation order. */
  *current(): Generator<Transaction> {
    for (let t = 0; t < this.base; t++) {
      const txn = this.currentOf(t);
      if (txn) yield txn;
    }
    for (let i = 0; i < this.createdByEvents.length; i++) {
      const txn = this.currentOf(this.createdByEvents.at(i));
      if (txn) yield txn;
    }
  }

  /** `onAdded` sees each transaction the advance creates (posted or pending), as sync will report it. */
  advance(spec: AdvanceSpec, rng: Rng, day: number, onAdded?: (transaction: Transaction) => void): AdvanceSummary {
    const summary: AdvanceSummary = { added: [], modified: [], removed: [], posted: [] };
    if (!this.factory.hasAccounts) return summary;
    const touched = new Set<number>();
    for (const target of [...this.pending].slice(0, spec.posted ?? 0)) {
      this.append(Op.Remove, target, 0, day);
      this.pending.delete(target);
      const posted = this.length;
      this.append(Op.Add, posted, target, day);
      touched.add(posted);
      summary.posted.push({ pending_transaction_id: this.factory.transactionId(target), transaction_id: this.factory.transactionId(posted) });
      summary.removed.push(this.factory.transactionId(target));
    }
    for (let i = 0; i < (spec.added ?? 0); i++) {
      const target = this.length;
      const pending = this.factory.startsPending(target);
      this.append(Op.Add, target, pending ? NEW_PENDING : NEW_POSTED, day);
      if (pending) this.pending.add(target);
      const name = spec.names?.[i];
      if (name !== undefined) this.factory.rename(target, name);
      touched.add(target);
      summary.added.push(this.factory.transactionId(target));
      if (onAdded) onAdded(this.currentOf(target)!);
    }
    for (const target of this.pickLive(spec.modified ?? 0, rng, touched)) {
      const last = this.latest.get(target);
      const version = last !== undefined && this.opAt(last) === Op.Modify ? this.aux.at(last - this.base) + 1 : 1;
      this.append(Op.Modify, target, version, day);
      summary.modified.push(this.factory.transactionId(target));
    }
    for (const target of this.pickLive(spec.removed ?? 0, rng, touched)) {
      this.append(Op.Remove, target, 0, day);
      this.pending.delete(target);
      summary.removed.push(this.factory.transactionId(target));
    }
    return summary;
  }

  /** The appended events; the initial history is regenerated from the Item's key, so it is not saved. */
  savedEvents(): SavedEvents {
    return { ops: this.ops.toBase64(), targets: this.targets.toBase64(), aux: this.aux.toBase64(), days: this.days.toBase64() };
  }

  /** Replays saved events onto a fresh log of the same Item, rebuilding the indexes and pending set. */
  restoreEvents(saved: SavedEvents): void {
    if (this.ops.length > 0) throw new Error('events are restored onto a fresh change log only');
    const [ops, targets, aux, days] = [saved.ops, saved.targets, saved.aux, saved.days].map((text) => IntColumn.fromBase64(text)) as [IntColumn, IntColumn, IntColumn, IntColumn];
    for (let i = 0; i < ops.length; i++) {
      const op = ops.at(i) as OpCode;
      const target = targets.at(i);
      const extra = aux.at(i);
      this.append(op, target, extra, days.at(i));
      if (op === Op.Remove) this.pending.delete(target);
      else if (op === Op.Add && extra === NEW_PENDING) this.pending.add(target);
    }
  }

  pendingCount(): number {
    return this.pending.size;
  }

  private append(op: OpCode, target: number, aux: number, day: number): void {
    const position = this.length;
    this.ops.push(op);
    this.targets.push(target);
    this.aux.push(aux);
    this.days.push(day);
    this.latest.set(target, position);
    if (op === Op.Add && aux === REVEALED) {
      // Alive since the log began; it only becomes visible here.
      this.revealedAt.set(target, position);
    } else if (op === Op.Add) {
      this.createdByEvents.push(target);
      this.alive++;
    } else if (op === Op.Remove) {
      this.alive--;
    }
  }

  private opAt(position: number): OpCode {
    return this.ops.at(position - this.base) as OpCode;
  }

  private isLive(target: number): boolean {
    const last = this.latest.get(target);
    return last === undefined || this.opAt(last) !== Op.Remove;
  }

  /** Up to n distinct live targets not already touched in this advance. */
  private pickLive(n: number, rng: Rng, touched: Set<number>): number[] {
    const picked: number[] = [];
    const universe = this.base + this.createdByEvents.length;
    // An item without any transaction yet has nothing to modify or remove.
    if (universe === 0) return picked;
    for (let attempt = 0; picked.length < n && attempt < n * 50 + 100; attempt++) {
      const r = rng.int(universe);
      const target = r < this.base ? r : this.createdByEvents.at(r - this.base);
      if (touched.has(target) || target < this.hiddenBelow || !this.isLive(target)) continue;
      touched.add(target);
      picked.push(target);
    }
    return picked;
  }

  private classify(pos: number, start: number): Kind | null {
    if (pos < this.base) return this.latest.has(pos) || pos < this.hiddenBelow ? null : 'added';
    const target = this.targets.at(pos - this.base);
    if (this.latest.get(target) !== pos) return null;
    const live = this.opAt(pos) !== Op.Remove;
    const created = this.revealedAt.get(target) ?? target;
    if (live) return created >= start ? 'added' : 'modified';
    return created < start ? 'removed' : null;
  }

  private emit(pos: number, start: number, page: SyncPage, accountId?: string): boolean {
    const kind = this.classify(pos, start);
    if (kind === null) return false;
    const target = pos < this.base ? pos : this.targets.at(pos - this.base);
    if (kind === 'removed') {
      const original = this.originalOf(target);
      if (accountId !== undefined && original.account_id !== accountId) return false;
      page.removed.push({ transaction_id: original.transaction_id, account_id: original.account_id });
      return true;
    }
    const txn = this.currentOf(target) as Transaction;
    if (accountId !== undefined && txn.account_id !== accountId) return false;
    page[kind].push(txn);
    return true;
  }

  private currentOf(target: number): Transaction | null {
    const last = this.latest.get(target);
    if (last === undefined) return this.originalOf(target);
    const op = this.opAt(last);
    if (op === Op.Remove) return null;
    if (op === Op.Add) return this.originalOf(target);
    return this.factory.modify(this.originalOf(target), target, this.aux.at(last - this.base));
  }

  /** The day of a posted initial-history transaction; it rises with the target. */
  private baseDay(target: number): number {
    const pendingFrom = this.baseCount - this.basePending;
    return this.firstDay + Math.floor((target * this.span) / Math.max(1, pendingFrom));
  }

  private originalOf(target: number): Transaction {
    if (target < this.base) {
      const pendingFrom = this.baseCount - this.basePending;
      if (target >= pendingFrom) return this.factory.create(target, this.today - ((this.baseCount - 1 - target) % 3), true);
      return this.factory.create(target, this.baseDay(target), false);
    }
    const ev = target - this.base;
    const aux = this.aux.at(ev);
    const day = this.days.at(ev);
    if (aux >= 0) return this.factory.posted(target, this.originalOf(aux), day);
    return this.factory.create(target, day, aux === NEW_PENDING);
  }
}

