import type postgres from 'postgres';

/**
 * Statements with more parameters than this are sent unnamed: their text varies with their size
 * (multi-row inserts), so naming them would fill each connection's statement cache with one-offs.
 */
export const MAX_PREPARED_PARAMETERS = 64;

type Client = Pick<postgres.Sql, 'unsafe'>;
type UnsafeOptions = Parameters<postgres.Sql['unsafe']>[2];

/**
 * The postgres.js client drizzle is given. drizzle asks postgres.js for an unnamed statement unless a
 * query was built with `.prepare(name)`, and postgres.js sends an unnamed statement that has
 * parameters in two round trips (Parse and Describe to learn the parameter types, then Bind and
 * Execute), parsing and planning it every time. Named, a statement is described once per connection
 * and then sent in one round trip: a sync run's four statements took eight round trips before.
 *
 * Every query through drizzle goes through `unsafe`, also inside `begin` and `savepoint`, whose
 * transaction clients are wrapped the same way. Statements are cached per connection by postgres.js
 * (and ended with it); a cached plan invalidated by a schema change is re-prepared by postgres.js.
 */
export function withPreparedStatements<T extends Client>(client: T): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === 'unsafe') {
        return (text: string, parameters?: unknown[], options?: UnsafeOptions) =>
          target.unsafe(text, parameters as never, { ...options, prepare: (parameters?.length ?? 0) <= MAX_PREPARED_PARAMETERS });
      }
      if (property === 'begin' || property === 'savepoint') {
        // (callback) or (options, callback): the transaction's own client is the callback's argument.
        return (...args: unknown[]) => {
          const callback = args.pop() as (client: Client) => unknown;
          return (value as (...a: unknown[]) => unknown).call(target, ...args, (inner: Client) => callback(withPreparedStatements(inner)));
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}
