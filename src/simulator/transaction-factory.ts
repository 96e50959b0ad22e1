import { PersonalFinanceCategoryVersion, TransactionPaymentChannelEnum } from './plaid-enums.js';
import type { Location, PaymentMeta, Transaction } from 'plaid';
import { dayToDate } from './clock.js';
import type { AccountKind } from './institutions.js';
import { CITIES, MERCHANTS } from './merchants.js';
import type { MerchantTemplate } from './merchants.js';
import { Rng, mix, plaidId } from './prng.js';

export interface TransactionAccount {
  accountId: string;
  kind: AccountKind;
}

const ACCOUNT_WEIGHT: Record<AccountKind, number> = {
  checking: 55, 'credit card': 30, savings: 10, student: 5, brokerage: 0, '401k': 0, mortgage: 0,
};

const NO_LOCATION: Location = {
  address: null, city: null, region: null, postal_code: null, country: null, lat: null, lon: null, store_number: null,
};

const NO_PAYMENT_META: PaymentMeta = {
  reference_number: null, ppd_id: null, payee: null, by_order_of: null, payer: null,
  payment_method: null, payment_processor: null, reason: null,
};

interface WeightedTemplates {
  templates: MerchantTemplate[];
  total: number;
}

interface TemplateStrings {
  entityId: string | null;
  logoUrl: string | null;
  iconUrl: string;
}

const STRINGS = new Map<MerchantTemplate, TemplateStrings>(MERCHANTS.map((m) => [m, {
  entityId: m.merchant === null ? null : plaidId(0x3e7, hashString(m.merchant)).slice(0, 22),
  logoUrl: m.website === null ? null : `https://plaid-merchant-logos.plaid.com/${m.website.replace(/\W/g, '_')}.png`,
  iconUrl: `https://plaid-category-icons.plaid.com/PFC_${m.primary}.png`,
}]));

/**
 * Builds one Item's transactions purely from (item key, target, version), so a history of any length
 * can be produced page by page without being stored.
 */
export class TransactionFactory {
  private readonly accounts: TransactionAccount[];
  private readonly accountTotal: number;
  private readonly templatesByKind = new Map<AccountKind, WeightedTemplates>();
  private readonly idKey: number;
  /** Names an advance chose (see `AdvanceSpec.names`); every other name comes from the seed. */
  private readonly names = new Map<number, string>();

  constructor(private readonly itemKey: number, accounts: readonly TransactionAccount[]) {
    this.accounts = accounts.filter((a) => ACCOUNT_WEIGHT[a.kind] > 0);
    this.accountTotal = this.accounts.reduce((sum, a) => sum + ACCOUNT_WEIGHT[a.kind], 0);
    this.idKey = mix(itemKey, 0x7a);
    for (const account of this.accounts) {
      const templates = MERCHANTS.filter((m) => m.kinds.includes(account.kind));
      this.templatesByKind.set(account.kind, { templates, total: templates.reduce((s, t) => s + t.weight, 0) });
    }
  }

  get hasAccounts(): boolean {
    return this.accounts.length > 0;
  }

  transactionId(target: number): string {
    return plaidId(this.idKey, target);
  }

  rename(target: number, name: string): void {
    this.names.set(target, name);
  }

  /** Whether a transaction created by an advance starts out pending; decided by its own seed. */
  startsPending(target: number): boolean {
    return new Rng(mix(this.itemKey, target, 0x9e)).chance(0.3);
  }

  /** The original version of the transaction created at log position `target`. */
  create(target: number, day: number, pending: boolean): Transaction {
    const rng = new Rng(mix(this.itemKey, target, 0xba5e));
    const account = this.pickAccount(rng);
    const template = this.pickTemplate(rng, account.kind);
    const cents = rng.between(template.cents[0], template.cents[1]) * template.sign;
    const authorizedDay = pending ? day : day - rng.between(0, 2);
    const location = template.channel === TransactionPaymentChannelEnum.InStore ? this.location(rng) : { ...NO_LOCATION };
    const strings = STRINGS.get(template) as TemplateStrings;
    return {
      transaction_id: this.transactionId(target),
      account_id: account.accountId,
      amount: cents / 100,
      iso_currency_code: 'USD',
      unofficial_currency_code: null,
      date: dayToDate(day),
      authorized_date: dayToDate(authorizedDay),
      authorized_datetime: null,
      datetime: null,
      name: this.names.get(target) ?? template.name,
      merchant_name: template.merchant,
      merchant_entity_id: strings.entityId,
      logo_url: strings.logoUrl,
      website: template.website,
      location,
      payment_meta: { ...NO_PAYMENT_META },
      payment_channel: template.channel,
      pending,
      pending_transaction_id: null,
      account_owner: null,
      check_number: null,
      transaction_code: null,
      personal_finance_category: {
        primary: template.primary,
        detailed: template.detailed,
        confidence_level: 'VERY_HIGH',
        version: PersonalFinanceCategoryVersion.V2,
      },
      personal_finance_category_icon_url: strings.iconUrl,
      counterparties: [],
    };
  }

  /** The posted successor (new id, log position `target`) of a pending transaction. */
  posted(target: number, pending: Transaction, day: number): Transaction {
    const rng = new Rng(mix(this.itemKey, target, 0x905e));
    let cents = Math.round(pending.amount * 100);
    if (cents > 0 && rng.chance(0.25)) cents += Math.round(cents * rng.between(10, 22) / 100);
    return {
      ...pending,
      transaction_id: this.transactionId(target),
      amount: cents / 100,
      date: dayToDate(day),
      authorized_date: pending.date,
      pending: false,
      pending_transaction_id: pending.transaction_id,
    };
  }

  /** Version `version` (≥ 1) of a transaction: amounts corrected, names cleaned up, recategorised. */
  modify(transaction: Transaction, target: number, version: number): Transaction {
    const rng = new Rng(mix(this.itemKey, target, version, 0x30d));
    const cents = Math.round(transaction.amount * 100);
    const sign = cents < 0 ? -1 : 1;
    // Corrections keep the direction of the money: a purchase never turns into a refund.
    const shrink = Math.abs(cents) > 500 && rng.chance(0.5);
    const magnitude = Math.abs(cents) + rng.between(1, 500) * (shrink ? -1 : 1);
    return {
      ...transaction,
      amount: (sign * magnitude) / 100,
      name: version % 2 === 1 ? transaction.name.toUpperCase() : transaction.name,
    };
  }

  private pickAccount(rng: Rng): TransactionAccount {
    let roll = rng.int(this.accountTotal);
    for (const account of this.accounts) {
      roll -= ACCOUNT_WEIGHT[account.kind];
      if (roll < 0) return account;
    }
    return this.accounts[0] as TransactionAccount;
  }

  private pickTemplate(rng: Rng, kind: AccountKind): MerchantTemplate {
    const pool = this.templatesByKind.get(kind) as WeightedTemplates;
    let roll = rng.int(pool.total);
    for (const template of pool.templates) {
      roll -= template.weight;
      if (roll < 0) return template;
    }
    return pool.templates[0] as MerchantTemplate;
  }

  private location(rng: Rng): Location {
    const city = rng.pick(CITIES);
    return {
      address: `${rng.between(1, 2999)} ${rng.pick(['Market St', 'Main St', 'Broadway', 'Congress Ave', 'Pike St'])}`,
      city: city.city,
      region: city.region,
      postal_code: city.postal,
      country: 'US',
      lat: city.lat,
      lon: city.lon,
      store_number: String(rng.between(100, 9999)),
    };
  }
}

function hashString(value: string): number {
  let h = 0;
  for (let i = 0; i < value.length; i++) h = mix(h, value.charCodeAt(i));
  return h;
}
