import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/http/errors.js';
import { exchangePublicToken, MISSING_PRODUCT_MESSAGE } from '../../src/services/exchange-service.js';
import { buildTestApp, TEST_API_TOKEN } from '../support/app.js';
import { useDatabaseAndSimulator } from '../support/test-environment.js';

const env = useDatabaseAndSimulator();

async function publicToken(app: ReturnType<typeof buildTestApp>['app'], userId: string, products: string[]) {
  const res = await app.request('/api/plaid/link-token', {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'x-user-id': userId, 'content-type': 'application/json' },
    body: JSON.stringify({ products }),
  });
  const { link_token } = (await res.json()) as { link_token: string };
  return env.simulator.control.completeLink({ linkToken: link_token, transactionCount: 3 });
}

describe('exchangePublicToken', () => {
  it('returns the stored item and no adoptions on a first link', async () => {
    const { app, deps } = buildTestApp(env.database);
    const userId = randomUUID();
    const link = await publicToken(app, userId, ['transactions']);
    const result = await exchangePublicToken(deps, { userId, publicToken: link.publicToken, product: 'transactions' });
    expect(result.item).toMatchObject({ userId, plaidItemId: link.itemId, status: 'active', product: 'transactions', products: ['transactions'] });
    expect(result.adoptions).toEqual([]);
  });

  it('keeps the refusal when removing the refused item at Plaid fails too, and logs that without the token', async () => {
    const { app, deps, logs } = buildTestApp(env.database);
    const userId = randomUUID();
    const link = await publicToken(app, userId, ['transactions', 'liabilities']);
    env.simulator.control.addFault({ endpoint: '/item/remove', kind: 'internal_error', count: 1 });
    const failure = await exchangePublicToken(deps, { userId, publicToken: link.publicToken }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AppError);
    expect(failure).toMatchObject({ status: 422, message: MISSING_PRODUCT_MESSAGE });
    const line = logs.find((l) => l.msg === 'refused_item_remove_failed');
    expect(line).toMatchObject({ plaidItemId: link.itemId, err: { plaidErrorCode: 'INTERNAL_SERVER_ERROR' } });
    expect(JSON.stringify(line)).not.toContain(env.simulator.control.item(link.itemId).accessToken);
    expect(env.simulator.control.item(link.itemId).removed).toBe(false);
  });
});
