import { AccountSubtype, AccountType } from 'plaid';
import { describe, expect, it } from 'vitest';
import { productForAccount } from '../../src/services/account-products.js';

const acct = (type: AccountType, subtype: AccountSubtype | null = null) => ({ type, subtype });

describe('productForAccount (the account → product rule)', () => {
  it('keeps the linked product when it can read the account', () => {
    expect(productForAccount(acct(AccountType.Depository, AccountSubtype.Checking), 'transactions')).toBe('transactions');
    expect(productForAccount(acct(AccountType.Credit, AccountSubtype.CreditCard), 'liabilities')).toBe('liabilities');
    expect(productForAccount(acct(AccountType.Loan, AccountSubtype.Student), 'transactions')).toBe('transactions');
    expect(productForAccount(acct(AccountType.Investment, AccountSubtype.Brokerage), 'investments')).toBe('investments');
  });

  it('otherwise takes the first product that can read the account', () => {
    expect(productForAccount(acct(AccountType.Investment, AccountSubtype._401k), 'transactions')).toBe('investments');
    expect(productForAccount(acct(AccountType.Brokerage), 'liabilities')).toBe('investments');
    expect(productForAccount(acct(AccountType.Loan, AccountSubtype.Mortgage), 'transactions')).toBe('liabilities');
    expect(productForAccount(acct(AccountType.Depository, AccountSubtype.Savings), 'investments')).toBe('transactions');
    expect(productForAccount(acct(AccountType.Credit, AccountSubtype.CreditCard), 'investments')).toBe('transactions');
  });

  it('falls back to the linked product for account types no product reads', () => {
    expect(productForAccount(acct(AccountType.Other), 'liabilities')).toBe('liabilities');
  });
});
