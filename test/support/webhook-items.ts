import { randomUUID } from 'node:crypto';
import type { Sql } from '../../src/db/client.js';
import type { Product } from '../../src/db/schema/products.js';
import type { TokenVault } from '../../src/vault/token-vault.js';

/** Stores an item as the exchange would (access token sealed for its item id); returns its row id. */
export async function insertItem(
  deps: { sql: Sql; vault: TokenVault },
  input: { plaidItemId: string; accessToken?: string; product?: Product; userId?: string; status?: string },
): Promise<string> {
  const sealed = deps.vault.encrypt(input.accessToken ?? `access-sandbox-${randomUUID()}`, input.plaidItemId);
  const [row] = await deps.sql<{ id: string }[]>`
    insert into plaid_items (user_id, plaid_item_id, institution_id, access_token_ciphertext, access_token_key_id, product, products, entitled_products, status)
    values (${input.userId ?? randomUUID()}, ${input.plaidItemId}, ${`ins_${randomUUID().slice(0, 8)}`}, ${sealed.ciphertext},
      ${sealed.keyId}, ${input.product ?? 'transactions'}, ${[input.product ?? 'transactions']}::text[], ${[input.product ?? 'transactions']}::text[],
      ${input.status ?? 'active'})
    returning id`;
  return row!.id;
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000, label = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** The one row a query must return. */
export function only<T>(rows: readonly T[]): T {
  if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}`);
  return rows[0]!;
}
