import { z } from 'zod';
import { ValidationError } from '../http/errors.js';

/** A position in an account's newest-first transaction list: the last row of the previous page. */
export interface TransactionPosition {
  date: string;
  id: string;
}

// Only what PostgreSQL can compare against: ISO dates have a year 0000, PostgreSQL's do not, and
// text can never hold NUL. Anything else would reach the query and fail there as a 500.
const position = z.tuple([
  z.iso.date().refine((date) => !date.startsWith('0000-')),
  z.string().min(1).max(256).refine((id) => !id.includes('\u0000')),
]);

/** Opaque to the app: base64url of the keyset (date, id), so the paging scheme can change without breaking it. */
export function encodeCursor(at: TransactionPosition): string {
  return Buffer.from(JSON.stringify([at.date, at.id])).toString('base64url');
}

export function decodeCursor(cursor: string): TransactionPosition {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ValidationError('cursor: is not a cursor this API returned');
  }
  const parsed = position.safeParse(raw);
  if (!parsed.success) throw new ValidationError('cursor: is not a cursor this API returned');
  return { date: parsed.data[0], id: parsed.data[1] };
}
