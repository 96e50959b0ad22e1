import { sql } from 'drizzle-orm';
import { bigint, customType, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** PostgreSQL's 64-bit transaction id (never wraps); read as decimal text. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

/**
 * The change feed: one row per real change to a user's data, written by statement-level triggers
 * (migration 0012) in the transaction that made the change. Readers order by (xid, seq) and only
 * read rows of transactions older than every running one (docs/adr/0006-change-feed-ordering.md).
 */
export const changeFeed = pgTable(
  'change_feed',
  {
    xid: xid8().notNull().default(sql`pg_current_xact_id()`),
    seq: bigint({ mode: 'number' }).notNull().generatedAlwaysAsIdentity({ cache: 1000 }),
    userId: uuid().notNull(),
    /** Null for a security, which is not an item's (it reaches every user holding it). */
    itemId: uuid(),
    kind: text().notNull(),
    /** The record's own id: Plaid's id for transactions, securities and investment transactions, the uuid otherwise. */
    entityId: text().notNull(),
    accountId: uuid(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('change_feed_user_position_idx').on(table.userId, table.xid, table.seq),
    index('change_feed_created_at_idx').using('brin', table.createdAt),
  ],
);

/** Per user, the highest position pruning removed: a cursor below it may have missed changes. */
export const changeFeedHorizon = pgTable('change_feed_horizon', {
  userId: uuid().primaryKey(),
  xid: xid8().notNull(),
  seq: bigint({ mode: 'number' }).notNull(),
  prunedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
