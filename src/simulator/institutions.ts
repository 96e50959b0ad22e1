import { CountryCode, Products } from './plaid-enums.js';
import type { Institution } from 'plaid';

/** Which account kinds a linked Item at this institution holds, per product. */
export interface InstitutionProfile {
  institution: Institution;
  /** Account kinds opened for an Item, by product requested. */
  accounts: Partial<Record<Products, AccountKind[]>>;
}

export type AccountKind = 'checking' | 'savings' | 'credit card' | 'brokerage' | '401k' | 'student' | 'mortgage';

const P = Products;
const RETAIL = [P.Assets, P.Auth, P.Balance, P.Identity, P.Transactions];

function institution(
  id: string,
  name: string,
  products: Products[],
  extra: Partial<Institution> = {},
): Institution {
  return {
    institution_id: id,
    name,
    products,
    country_codes: [CountryCode.Us],
    url: null,
    primary_color: null,
    logo: null,
    routing_numbers: [],
    dtc_numbers: [],
    oauth: false,
    status: null,
    payment_initiation_metadata: null,
    auth_metadata: null,
    ...extra,
  };
}

const BANK_ACCOUNTS: InstitutionProfile['accounts'] = {
  [P.Transactions]: ['checking', 'savings', 'credit card'],
  [P.Auth]: ['checking', 'savings'],
  [P.Investments]: ['brokerage', '401k'],
  [P.Liabilities]: ['credit card', 'student', 'mortgage'],
};

const PROFILES: InstitutionProfile[] = [
  {
    institution: institution('ins_109508', 'First Platypus Bank', [...RETAIL, P.Investments, P.Liabilities], {
      routing_numbers: ['011000138'], url: 'https://www.plaid.com', primary_color: '#1f1f1f',
    }),
    accounts: BANK_ACCOUNTS,
  },
  {
    institution: institution('ins_109509', 'First Gingham Credit Union', [...RETAIL, P.Liabilities], {
      routing_numbers: ['011000015'],
    }),
    accounts: BANK_ACCOUNTS,
  },
  {
    institution: institution('ins_109510', 'Tattersall Federal Credit Union', [...RETAIL, P.Investments], {
      routing_numbers: ['021000021'],
    }),
    accounts: BANK_ACCOUNTS,
  },
  {
    institution: institution('ins_109511', 'Tartan Bank', [...RETAIL, P.Investments, P.Liabilities], {
      routing_numbers: ['011401533'],
    }),
    accounts: BANK_ACCOUNTS,
  },
  {
    institution: institution('ins_109512', 'Houndstooth Bank', RETAIL, { routing_numbers: ['011000028'] }),
    accounts: { [P.Transactions]: ['checking', 'savings'], [P.Auth]: ['checking', 'savings'] },
  },
  {
    institution: institution('ins_sim_brokerage', 'Plaidypus Brokerage', [P.Investments, P.Balance, P.Identity]),
    accounts: { [P.Investments]: ['brokerage', '401k'] },
  },
  {
    institution: institution('ins_sim_card', 'Argyle Card Services', [P.Transactions, P.Liabilities, P.Balance]),
    accounts: { [P.Transactions]: ['credit card'], [P.Liabilities]: ['credit card'] },
  },
  {
    institution: institution('ins_sim_lender', 'Paisley Home & Student Lending', [P.Liabilities, P.Balance]),
    accounts: { [P.Liabilities]: ['student', 'mortgage'] },
  },
];

const BY_ID = new Map(PROFILES.map((p) => [p.institution.institution_id, p]));

export function findInstitution(id: string): InstitutionProfile | undefined {
  return BY_ID.get(id);
}

export function allInstitutions(): readonly InstitutionProfile[] {
  return PROFILES;
}

/** Products of `requested` the institution lacks. */
export function unsupportedProducts(profile: InstitutionProfile, requested: readonly Products[]): Products[] {
  return requested.filter((p) => !profile.institution.products.includes(p));
}

/**
 * Which accounts an Item holds: `full`, as a Sandbox test user does, every account the user has at
 * the institution whatever products were asked for; `products`, only the accounts of the products
 * asked for (the simulator's older rule, kept for tests and saved Items that rely on it).
 */
export type AccountSet = 'full' | 'products';

/** Account kinds an Item linked for `products` holds, de-duplicated in a stable order. */
export function accountKindsFor(profile: InstitutionProfile, products: readonly Products[], accountSet: AccountSet = 'full'): AccountKind[] {
  const kinds = new Set<AccountKind>();
  const from = accountSet === 'full' ? (Object.keys(profile.accounts) as Products[]) : products;
  for (const product of from) for (const kind of profile.accounts[product] ?? []) kinds.add(kind);
  if (kinds.size === 0) for (const kind of profile.accounts[P.Transactions] ?? []) kinds.add(kind);
  const order: AccountKind[] = ['checking', 'savings', 'credit card', 'brokerage', '401k', 'student', 'mortgage'];
  return order.filter((k) => kinds.has(k));
}
