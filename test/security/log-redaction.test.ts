import { randomUUID } from 'node:crypto';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { plaidAccounts, plaidItems } from '../../src/db/schema/index.js';
import { errorLogFields, errorSummary } from '../../src/error-log-fields.js';
import { PlaidCallError } from '../../src/providers/plaid/plaid-call.js';
import { apiClient } from '../support/api-client.js';
import { buildTestApp } from '../support/app.js';
import { useSyncFixture } from '../support/sync-fixture.js';
import { seedItem } from '../support/sync-harness.js';

/**
 * A write that fails must not put the row it was writing into the log: drizzle's message carries
 * every bound parameter ("Failed query: … params: …"), PostgreSQL's detail quotes the failing row.
 */
const fx = useSyncFixture();

describe('a failing page write', () => {
  it('logs the SQLSTATE and the constraint, never the page’s names, ids or amounts', async () => {
    const item = await seedItem(fx.database.db, fx.sim.control, fx.harness.vault, fx.harness.plaid, { transactionCount: 5 });
    expect(await fx.harness.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'webhook' })).toMatchObject({ status: 'succeeded' });
    const names = ['Zyxwv Secret Payee 4821', 'Qvxz Hidden Merchant 9377'];
    const advanced = fx.sim.control.advance(item.plaidItemId, { added: 2, names });
    await fx.database.sql.unsafe(`alter table plaid_transactions add constraint log_probe check (name not like 'Zyxwv%') not valid`);
    try {
      const outcome = await fx.harness.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'webhook' });
      expect(outcome).toMatchObject({ status: 'failed', error: { code: 'INTERNAL_ERROR' } });
    } finally {
      await fx.database.sql.unsafe('alter table plaid_transactions drop constraint log_probe');
    }

    const logged = fx.harness.logs.find((line) => line.msg === 'sync_internal_error');
    expect(logged?.err).toMatchObject({ name: 'DrizzleQueryError', code: '23514', constraint: 'log_probe', table: 'plaid_transactions' });
    const amounts = [...fx.sim.control.truth(item.plaidItemId)].filter((t) => advanced.added.includes(t.transaction_id)).map((t) => String(t.amount));
    const secrets = [...names, ...advanced.added];
    // An amount as a number of its own, not digits inside another: "8.77" is in a timestamp's "18.779Z".
    const asNumber = (amount: string) => new RegExp(`(?<![\\d.])${amount.replace(/[.+-]/g, '\\$&')}(?!\\d)`);
    const amountPatterns = amounts.filter((amount) => amount.length >= 4).map(asNumber);
    const text = JSON.stringify(fx.harness.logs);
    for (const secret of secrets) expect(text).not.toContain(secret);
    for (const amount of amountPatterns) expect(text).not.toMatch(amount);
    expect(text).not.toContain('params');
    const runs = JSON.stringify(await fx.database.sql<{ error_message: string | null }[]>`select error_message from sync_runs where item_id = ${item.itemId}`);
    for (const secret of secrets) expect(runs).not.toContain(secret);
    for (const amount of amountPatterns) expect(runs).not.toMatch(amount);
  });
});

describe('a failing settings update', () => {
  it('answers 500 without the nickname, and logs the error without it', async () => {
    const { app, logs } = buildTestApp(fx.database);
    const api = apiClient(app);
    const [item] = await fx.database.db
      .insert(plaidItems)
      .values({ userId: api.userId, plaidItemId: `item-${randomUUID()}`, institutionId: `ins_${randomUUID()}`, accessTokenCiphertext: 'x', accessTokenKeyId: 'k', product: 'transactions' })
      .returning();
    const [account] = await fx.database.db
      .insert(plaidAccounts)
      .values({ itemId: item!.id, userId: api.userId, plaidAccountId: `acc-${randomUUID()}`, product: 'transactions', name: 'Checking', type: 'depository' })
      .returning();
    const nickname = 'Grandma Ottilie Secret Fund';
    await fx.database.sql.unsafe(`
      create function log_probe_refuse() returns trigger language plpgsql as $$
      begin raise exception using errcode = '23514', message = 'refused: ' || new.nickname, table = 'account_extended'; end $$;
      create trigger log_probe before insert or update on account_extended for each row execute function log_probe_refuse();`);
    try {
      const res = await api.patch(`/accounts/${account!.id}/settings`, { nickname, notes: 'IBAN DE89 3704 0044 0532 0130 00' });
      expect(res.status).toBe(500);
      expect(JSON.stringify(res.body)).not.toContain('Ottilie');
    } finally {
      await fx.database.sql.unsafe('drop trigger log_probe on account_extended; drop function log_probe_refuse()');
    }
    const logged = logs.find((line) => line.msg === 'unhandled_error');
    expect(logged?.err).toMatchObject({ name: 'DrizzleQueryError', code: '23514', table: 'account_extended' });
    const text = JSON.stringify(logs);
    expect(text).not.toContain('Ottilie');
    expect(text).not.toContain('DE89');
  });
});

describe('the redaction point', () => {
  it('reduces a query error without a server error under it to its name and the cause’s kind', () => {
    const error = new DrizzleQueryError('insert into t values ($1)', ['Secret Name 123'], Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' }));
    expect(errorLogFields(error).err).toMatchObject({ name: 'DrizzleQueryError', code: 'CONNECTION_CLOSED' });
    expect(JSON.stringify(errorLogFields(error))).not.toContain('Secret');
    expect(errorSummary(error)).not.toContain('Secret');
  });

  it('reduces a Plaid failure to its code, type, status and request id', () => {
    const plaid = { kind: 'fatal' as const, code: 'INVALID_FIELD', type: 'INVALID_REQUEST', httpStatus: 400, message: 'account_ids contains acc-secret-1', requestId: 'req-1' };
    const fields = errorLogFields(new PlaidCallError('/accounts/get', plaid, 1)).err;
    expect(fields).toMatchObject({ plaidErrorCode: 'INVALID_FIELD', plaidErrorType: 'INVALID_REQUEST', plaidStatus: 400, plaidRequestId: 'req-1' });
    expect(JSON.stringify(fields)).not.toContain('acc-secret');
  });
});
