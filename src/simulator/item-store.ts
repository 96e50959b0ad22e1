import { Products } from './plaid-enums.js';
import type { Holding, InvestmentTransaction } from 'plaid';
import { buildAccount, maskKeyFor, isInvestmentAccount, isTransactionAccount } from './accounts.js';
import type { SimAccount } from './accounts.js';
import { ChangeLog } from './change-log.js';
import type { Clock } from './clock.js';
import { dayToDate } from './clock.js';
import { accountKindsFor, findInstitution, unsupportedProducts } from './institutions.js';
import type { AccountKind, AccountSet, InstitutionProfile } from './institutions.js';
import { initialHoldings, initialInvestmentTransactions } from './investments-data.js';
import { PlaidApiError, plaidErrors } from './plaid-errors.js';
import { Rng, mix, plaidId } from './prng.js';
import { TransactionFactory } from './transaction-factory.js';

export type ReadyState = 'not_ready' | 'initial' | 'historical';

/** What Plaid extracts first for a new Item (the initial update); the rest comes with the historical update. */
export const INITIAL_UPDATE_DAYS = 30;

export interface SimItem {
  itemId: string;
  key: number;
  /** Short tag bound into cursors so one Item's cursor is refused by another. */
  tag: string;
  accessToken: string;
  institution: InstitutionProfile;
  /** Products initialized on the Item (Link's products, required-if-supported and optional ones it got, and any added since); all billed. */
  products: Products[];
  /**
   * Data Transparency Messaging: the products the user consented to at Link (the initialized ones
   * and `additional_consented_products`); a product endpoint for any other is refused. Null for an
   * Item without consent tracking, on which Plaid adds any supported product on first use.
   */
  consentedProducts: Products[] | null;
  accountSet: AccountSet;
  webhook: string | null;
  userId: string | null;
  accounts: SimAccount[];
  log: ChangeLog;
  ready: ReadyState;
  /** SYNC_UPDATES_AVAILABLE is only sent once the Item has been synced at least once. */
  syncCalled: boolean;
  error: PlaidApiError | null;
  removed: boolean;
  consentExpirationTime: string | null;
  newAccountsAvailable: boolean;
  holdings: Holding[];
  investmentTransactions: InvestmentTransaction[];
  /** The investment transactions added after creation, in order; saved state keeps only these. */
  addedInvestmentTransactions: InvestmentTransaction[];
  investmentSequence: number;
  liabilityRevisions: Map<string, number>;
  createdAt: string;
  lastTransactionsUpdate: string;
  lastWebhook: { sent_at: string; code_sent: string } | null;
  today: number;
  rng: Rng;
  /** Forces the next mid-pagination /transactions/sync calls to fail with a mutation error. */
  forcedMutations: number;
}

export interface CreateItemInput {
  institutionId: string;
  products: Products[];
  /** Initialized when the institution supports them; Link fails for none of them. */
  requiredIfSupportedProducts?: Products[];
  optionalProducts?: Products[];
  /** Consented to without being initialized: added (and billed) on first use. */
  additionalConsentedProducts?: Products[];
  /** false: an Item without consent tracking (no `consented_products`); Plaid adds any supported product on use. */
  dataTransparency?: boolean;
  /** Default `full`: the test user's whole account set, as in Sandbox. */
  accountSet?: AccountSet;
  transactionCount?: number;
  historyDays?: number;
  webhook?: string | null;
  ready?: boolean;
  userId?: string | null;
  /** Link's account selection: positions in the institution's account list for these products (default all). */
  accountIndexes?: number[];
}

export interface AssembleInput {
  itemId: string;
  key: number;
  accessToken: string;
  institution: InstitutionProfile;
  products: Products[];
  consentedProducts: Products[] | null;
  accountSet: AccountSet;
  accountIndexes: number[];
  webhook: string | null;
  userId: string | null;
  transactionCount: number;
  historyDays: number;
  today: number;
  createdAt: string;
}

export interface PublicTokenRecord {
  itemId: string;
  expiresAt: number;
}

/** Counters that number items and tokens; saved so ids never repeat after a restart. */
export interface StoreCounters {
  items: number;
  tokens: number;
}

export interface LinkTokenRecord {
  token: string;
  expiresAt: number;
  products: Products[];
  requiredIfSupportedProducts?: Products[];
  optionalProducts?: Products[];
  additionalConsentedProducts?: Products[];
  webhook: string | null;
  userId: string | null;
  clientUserId: string | null;
  historyDays: number;
  /** Set for update mode. */
  itemId: string | null;
  /** Hosted Link: where the finished Link page sends the browser (null: the page shows the result). */
  completionRedirectUri?: string | null;
}

const PUBLIC_TOKEN_TTL_MS = 30 * 60 * 1000;
const ACCESS_TOKEN = /^access-sandbox-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class ItemStore {
  private readonly items = new Map<string, SimItem>();
  private readonly byToken = new Map<string, string>();
  private readonly publicTokens = new Map<string, PublicTokenRecord>();
  private readonly linkTokens = new Map<string, LinkTokenRecord>();
  private counter = 0;
  private tokenCounter = 0;
  /** Keys (`item:<id>`, `public:<token>`, `link:<token>`) whose saved copy may be out of date. */
  private readonly dirty = new Set<string>();

  constructor(
    private readonly seed: number,
    private readonly clock: Clock,
    private readonly defaultTransactionCount: number,
  ) {}

  create(input: CreateItemInput): SimItem {
    const institution = findInstitution(input.institutionId);
    if (!institution) throw plaidErrors.invalidInstitution();
    if (input.products.length === 0) throw plaidErrors.invalidField('at least one product is required');
    const missing = unsupportedProducts(institution, input.products);
    if (missing.length > 0) throw plaidErrors.productsNotSupported(missing);
    const supported = (list: readonly Products[] = []) => list.filter((p) => institution.institution.products.includes(p));
    const products = [...new Set([...input.products, ...supported(input.requiredIfSupportedProducts), ...supported(input.optionalProducts)])];
    const consentedProducts = input.dataTransparency === false
      ? null
      : [...new Set([...input.products, ...supported(input.requiredIfSupportedProducts), ...supported(input.optionalProducts), ...supported(input.additionalConsentedProducts)])];
    const accountSet = input.accountSet ?? 'full';
    const count = input.transactionCount ?? this.defaultTransactionCount;
    if (!Number.isSafeInteger(count) || count < 0 || count > 2_000_000_000) throw plaidErrors.invalidField('transaction count must be an integer between 0 and 2000000000');
    const kinds = accountKindsFor(institution, products, accountSet);
    const indexes = input.accountIndexes ?? kinds.map((_kind, index) => index);
    if (indexes.length === 0 || indexes.some((index) => !Number.isInteger(index) || index < 0 || index >= kinds.length)) {
      throw plaidErrors.invalidField('account selection must name at least one of the institution\'s accounts');
    }
    const ordinal = this.counter++;
    const now = this.clock.iso();
    const item = this.assemble({
      itemId: plaidId(mix(this.seed, 0x17e4), ordinal),
      key: mix(this.seed, ordinal, 0x17e4),
      accessToken: `access-sandbox-${this.uuid()}`,
      institution,
      products,
      consentedProducts,
      accountSet,
      accountIndexes: indexes,
      webhook: input.webhook ?? null,
      userId: input.userId ?? null,
      transactionCount: count,
      historyDays: input.historyDays ?? 90,
      today: this.clock.todayDay(),
      createdAt: now,
    });
    if (input.ready === false) {
      item.ready = 'not_ready';
      item.log.hideHistoryBefore(item.today - INITIAL_UPDATE_DAYS);
    }
    this.add(item);
    return item;
  }

  /** An Item as created, from what identifies it; every generated part follows from its key. */
  assemble(input: AssembleInput): SimItem {
    const { key, today } = input;
    const kinds = accountKindsFor(input.institution, input.products, input.accountSet);
    const maskKey = maskKeyFor(this.seed, input.institution.institution.institution_id);
    const accounts = input.accountIndexes.map((index) => buildAccount(key, kinds[index] as AccountKind, index, maskKey));
    // The bank holds the history whatever was linked: a product added later (and billed) finds it.
    // Items holding only their products' accounts keep the older rule: history only when linked for transactions.
    const withHistory = input.accountSet === 'full' || input.products.includes(Products.Transactions);
    const factory = new TransactionFactory(key, withHistory
      ? accounts.filter((a) => isTransactionAccount(a.kind)).map((a) => ({ accountId: a.account.account_id, kind: a.kind }))
      : []);
    const investmentIds = accounts.filter((a) => isInvestmentAccount(a.kind)).map((a) => a.account.account_id);
    return {
      itemId: input.itemId, key, tag: input.itemId.slice(0, 8), accessToken: input.accessToken, institution: input.institution,
      products: input.products,
      consentedProducts: input.consentedProducts,
      accountSet: input.accountSet,
      webhook: input.webhook,
      userId: input.userId,
      accounts,
      log: new ChangeLog(factory, input.transactionCount, today, input.historyDays),
      ready: 'historical',
      syncCalled: false,
      error: null,
      removed: false,
      consentExpirationTime: null,
      newAccountsAvailable: false,
      holdings: initialHoldings(key, investmentIds, dayToDate(today)),
      investmentTransactions: initialInvestmentTransactions(key, investmentIds, today),
      addedInvestmentTransactions: [],
      investmentSequence: 0,
      liabilityRevisions: new Map(),
      createdAt: input.createdAt,
      lastTransactionsUpdate: input.createdAt,
      lastWebhook: null,
      today,
      rng: new Rng(mix(key, 0xad5)),
      forcedMutations: 0,
    };
  }

  /** Adds a created or restored Item. */
  add(item: SimItem): void {
    this.items.set(item.itemId, item);
    this.byToken.set(item.accessToken, item.itemId);
    this.touch(item.itemId);
  }

  /** The Item behind an access token, as Plaid resolves it for product endpoints. */
  byAccessToken(token: unknown): SimItem {
    if (typeof token !== 'string' || !ACCESS_TOKEN.test(token)) throw plaidErrors.invalidAccessToken();
    const itemId = this.byToken.get(token);
    const item = itemId === undefined ? undefined : this.items.get(itemId);
    if (!item) throw plaidErrors.invalidAccessToken();
    this.touch(item.itemId);
    if (item.removed) throw plaidErrors.itemNotFound();
    return item;
  }

  /** Control-side lookup; removed Items are still visible here. */
  get(itemId: string): SimItem {
    const item = this.items.get(itemId);
    if (!item) throw new PlaidApiError(404, plaidErrors.notFound().errorType, 'ITEM_NOT_FOUND', `no simulated item ${itemId}`);
    this.touch(itemId);
    return item;
  }

  list(): SimItem[] {
    return [...this.items.values()];
  }

  issuePublicToken(itemId: string): string {
    const token = `public-sandbox-${this.uuid()}`;
    this.publicTokens.set(token, { itemId, expiresAt: this.clock.now() + PUBLIC_TOKEN_TTL_MS });
    this.dirty.add(`public:${token}`);
    return token;
  }

  /** Public tokens are single use and expire after 30 minutes. */
  exchangePublicToken(token: string): SimItem {
    const record = this.publicTokens.get(token);
    if (!/^public-sandbox-/.test(token) || !record) throw plaidErrors.invalidPublicToken('provided public token is in an invalid format or does not exist');
    this.publicTokens.delete(token);
    this.dirty.add(`public:${token}`);
    if (record.expiresAt <= this.clock.now()) throw plaidErrors.invalidPublicToken('provided public token is expired');
    const item = this.get(record.itemId);
    if (item.removed) throw plaidErrors.itemNotFound();
    return item;
  }

  createLinkToken(record: Omit<LinkTokenRecord, 'token' | 'expiresAt'>, ttlMs?: number): LinkTokenRecord {
    const ttl = ttlMs ?? (record.itemId === null ? 4 * 60 * 60 * 1000 : 30 * 60 * 1000);
    const full: LinkTokenRecord = { ...record, token: `link-sandbox-${this.uuid()}`, expiresAt: this.clock.now() + ttl };
    this.linkTokens.set(full.token, full);
    this.dirty.add(`link:${full.token}`);
    return full;
  }

  linkToken(token: string): LinkTokenRecord {
    const record = this.linkTokens.get(token);
    if (!record) throw plaidErrors.invalidLinkToken('provided link token is in an invalid format or does not exist');
    if (record.expiresAt <= this.clock.now()) throw plaidErrors.invalidLinkToken('provided link token is expired');
    return record;
  }

  /** Marks an Item's saved copy as possibly stale; every lookup does, since callers may change it. */
  touch(itemId: string): void {
    this.dirty.add(`item:${itemId}`);
  }

  /** The keys changed since the last call; a failed save puts them back with markDirty. */
  takeDirty(): string[] {
    const keys = [...this.dirty];
    this.dirty.clear();
    return keys;
  }

  markDirty(keys: Iterable<string>): void {
    for (const key of keys) this.dirty.add(key);
  }

  /** What a dirty key now holds: an Item, a token record, or null once it is gone. */
  entry(key: string): { item: SimItem } | { publicToken: PublicTokenRecord } | { linkToken: LinkTokenRecord } | null {
    const [kind, id = ''] = splitKey(key);
    if (kind === 'item') {
      const item = this.items.get(id);
      return item ? { item } : null;
    }
    const record = kind === 'public' ? this.publicTokens.get(id) : kind === 'link' ? this.linkTokens.get(id) : undefined;
    if (!record || record.expiresAt <= this.clock.now()) return null;
    return kind === 'public' ? { publicToken: record as PublicTokenRecord } : { linkToken: record as LinkTokenRecord };
  }

  counters(): StoreCounters {
    return { items: this.counter, tokens: this.tokenCounter };
  }

  /** Restores saved counters and tokens; restored Items come in through add(). */
  restore(counters: StoreCounters, publicTokens: [string, PublicTokenRecord][], linkTokens: LinkTokenRecord[]): void {
    this.counter = Math.max(this.counter, counters.items);
    this.tokenCounter = Math.max(this.tokenCounter, counters.tokens);
    for (const [token, record] of publicTokens) this.publicTokens.set(token, record);
    for (const record of linkTokens) this.linkTokens.set(record.token, record);
    this.dirty.clear();
  }

  private uuid(): string {
    return new Rng(mix(this.seed, 0x70c, this.tokenCounter++)).uuid();
  }
}

function splitKey(key: string): [string, string] {
  const colon = key.indexOf(':');
  return colon < 0 ? [key, ''] : [key.slice(0, colon), key.slice(colon + 1)];
}
