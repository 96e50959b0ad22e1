import type { ReservedSql, Sql } from './client.js';

/**
 * A transaction whose `BEGIN` goes to the server together with its first statements, on a reserved
 * connection. postgres.js's `sql.begin` waits for the answer to `BEGIN` before it runs the callback,
 * so every transaction pays a round trip for it; here `BEGIN` is only queued, and whatever `body`
 * sends before its first `await` travels in the same write. As with `sql.begin`, the `COMMIT` is
 * sent as soon as `body` resolves, behind any statement `body` handed to the connection without
 * waiting for (a statement that fails aborts the transaction, and PostgreSQL answers that `COMMIT`
 * with a rollback); if `body` throws, the transaction is rolled back. The connection goes back to
 * the pool either way.
 *
 * `BEGIN` cannot fail on a working connection, and on a lost one every statement behind it fails
 * too, so nothing runs outside the transaction.
 */
export async function pipelinedTransaction<T>(sql: Sql, body: (tx: ReservedSql) => Promise<T>): Promise<T> {
  const tx = await sql.reserve();
  try {
    const begun = tx`begin`.execute();
    let result: T;
    try {
      [, result] = await Promise.all([begun, body(tx)]);
    } catch (error) {
      // On a lost connection the rollback fails too; the server has already ended the transaction.
      await tx`rollback`.catch(() => undefined);
      throw error;
    }
    await tx`commit`;
    return result;
  } finally {
    tx.release();
  }
}
