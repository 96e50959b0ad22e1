import { Products } from './plaid-enums.js';
import type { Holding, InvestmentTransaction } from 'plaid';
import { createAccounts, maskKeyFor, isInvestmentAccount, isTransactionAccount } from './accounts.js';
import type { SimAccount } from './accounts.js';
import { ChangeLog } from './change-log.js';
import type { Clock } from './clock.js';
import { dayToDate } from './clock.js';
import { accountKindsFor, findInstitution, unsupportedProducts } from './institutions.js';
import type { InstitutionProfile } from './institutions.js';
import { initialHoldings, initialInvestmentTransactions } from './investments-data.js';
import { PlaidApiError, plaidErrors } from './plaid-errors.js';
import { Rng, mix, plaidId } from './prng.js';
import { TransactionFactory } from './transaction-factory.js';

export type ReadyState = 'not_ready' | 'initial' | 'historical';

export interface SimItem {
  itemId: string;
  key: number;
  /** Short tag bound into cursors so one Item's cursor is refused by another. */
  tag: string;
  accessToken: string;
  institution: InstitutionProfile;
  products: Products[];
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
  transactionCount?: number;
  historyDays?: number;
  webhook?: string | null;
  ready?: boolean;
  userId?: string | null;
}

export interface LinkTokenRecord {
  token: string;
  expiresAt: number;
  products: Products[];
  webhook: string | null;
  userId: string | null;
  clientUserId: string | null;
  historyDays: number;
  /** Set for update mode. */
  itemId: string | null;
}

const PUBLIC_TOKEN_TTL_MS = 30 * 60 * 1000;
const ACCESS_TOKEN = /^access-sandbox-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class ItemStore {
  private readonly items = new Map<string, SimItem>();
  private readonly byToken = new Map<string, string>();
  private readonly publicTokens = new Map<string, { itemId: string; expiresAt: number }>();
  private readonly linkTokens = new Map<string, LinkTokenRecord>();
  private counter = 0;
  private tokenCounter = 0;

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
    const ordinal = this.counter++;
    const key = mix(this.seed, ordinal, 0x17e4);
    const itemId = plaidId(mix(this.seed, 0x17e4), ordinal);
    const accessToken = `access-sandbox-${this.uuid()}`;
    const accounts = createAccounts(key, accountKindsFor(institution, input.products), maskKeyFor(this.seed, institution.institution.institution_id));
    const today = this.clock.todayDay();
    const wantsTransactions = input.products.includes(Products.Transactions);
    const factory = new TransactionFactory(key, wantsTransactions
      ? accounts.filter((a) => isTransactionAccount(a.kind)).map((a) => ({ accountId: a.account.account_id, kind: a.kind }))
      : []);
    const investmentIds = accounts.filter((a) => isInvestmentAccount(a.kind)).map((a) => a.account.account_id);
    const count = input.transactionCount ?? this.defaultTransactionCount;
    if (!Number.isSafeInteger(count) || count < 0 || count > 2_000_000_000) throw plaidErrors.invalidField('transaction count must be an integer between 0 and 2000000000');
    const now = this.clock.iso();
    const item: SimItem = {
      itemId, key, tag: itemId.slice(0, 8), accessToken, institution,
      products: [...input.products],
      webhook: input.webhook ?? null,
      userId: input.userId ?? null,
      accounts,
      log: new ChangeLog(factory, count, today, input.historyDays ?? 90),
      ready: input.ready === false ? 'not_ready' : 'historical',
      syncCalled: false,
      error: null,
      removed: false,
      consentExpirationTime: null,
      newAccountsAvailable: false,
      holdings: initialHoldings(key, investmentIds, dayToDate(today)),
      investmentTransactions: initialInvestmentTransactions(key, investmentIds, today),
      investmentSequence: 0,
      liabilityRevisions: new Map(),
      createdAt: now,
      lastTransactionsUpdate: now,
      lastWebhook: null,
      today,
      rng: new Rng(mix(key, 0xad5)),
      forcedMutations: 0,
    };
    this.items.set(itemId, item);
    this.byToken.set(accessToken, itemId);
    return item;
  }

  /** The Item behind an access token, as Plaid resolves it for product endpoints. */
  byAccessToken(token: unknown): SimItem {
    if (typeof token !== 'string' || !ACCESS_TOKEN.test(token)) throw plaidErrors.invalidAccessToken();
    const itemId = this.byToken.get(token);
    const item = itemId === undefined ? undefined : this.items.get(itemId);
    if (!item) throw plaidErrors.invalidAccessToken();
    if (item.removed) throw plaidErrors.itemNotFound();
    return item;
  }

  /** Control-side lookup; removed Items are still visible here. */
  get(itemId: string): SimItem {
    const item = this.items.get(itemId);
    if (!item) throw new PlaidApiError(404, plaidErrors.notFound().errorType, 'ITEM_NOT_FOUND', `no simulated item ${itemId}`);
    return item;
  }

  list(): SimItem[] {
    return [...this.items.values()];
  }

  issuePublicToken(itemId: string): string {
    const token = `public-sandbox-${this.uuid()}`;
    this.publicTokens.set(token, { itemId, expiresAt: this.clock.now() + PUBLIC_TOKEN_TTL_MS });
    return token;
  }

  /** Public tokens are single use and expire after 30 minutes. */
  exchangePublicToken(token: string): SimItem {
    const record = this.publicTokens.get(token);
    if (!/^public-sandbox-/.test(token) || !record) throw plaidErrors.invalidPublicToken('provided public token is in an invalid format or does not exist');
    this.publicTokens.delete(token);
    if (record.expiresAt <= this.clock.now()) throw plaidErrors.invalidPublicToken('provided public token is expired');
    const item = this.get(record.itemId);
    if (item.removed) throw plaidErrors.itemNotFound();
    return item;
  }

  createLinkToken(record: Omit<LinkTokenRecord, 'token' | 'expiresAt'>): LinkTokenRecord {
    const ttl = record.itemId === null ? 4 * 60 * 60 * 1000 : 30 * 60 * 1000;
    const full: LinkTokenRecord = { ...record, token: `link-sandbox-${this.uuid()}`, expiresAt: this.clock.now() + ttl };
    this.linkTokens.set(full.token, full);
    return full;
  }

  linkToken(token: string): LinkTokenRecord {
    const record = this.linkTokens.get(token);
    if (!record) throw plaidErrors.invalidLinkToken('provided link token is in an invalid format or does not exist');
    if (record.expiresAt <= this.clock.now()) throw plaidErrors.invalidLinkToken('provided link token is expired');
    return record;
  }

  private uuid(): string {
    return new Rng(mix(this.seed, 0x70c, this.tokenCounter++)).uuid();
  }
}
