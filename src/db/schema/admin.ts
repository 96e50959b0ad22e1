import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Signed-in admin sessions, shared by every instance so a logout ends the session everywhere at once.
 * The cookie carries a random id; only its SHA-256 is stored, so a copy of this table signs no one in.
 */
export const adminSessions = pgTable('admin_sessions', {
  idHash: text().primaryKey(),
  /** HMAC of the admin password the session was opened under: after a password change it matches no session. */
  passwordFingerprint: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull(),
  lastSeenAt: timestamp({ withTimezone: true }).notNull(),
});

/**
 * Failed-login counters of rate-limiter-flexible's `RateLimiterDrizzle` (its column names): one row
 * per client address and one for the admin account, each expiring with its window.
 */
export const adminLoginLimits = pgTable(
  'admin_login_limits',
  {
    key: text().primaryKey(),
    points: integer().notNull().default(0),
    expire: timestamp({ withTimezone: true }),
  },
  (table) => [index('admin_login_limits_expire_idx').on(table.expire)],
);
