import { plaidErrors } from './plaid-errors.js';

/**
 * A cursor is an opaque base64url position in an Item's change log. A settled cursor (the last page of
 * a pagination) holds one position; a mid-pagination cursor also holds where the pagination started
 * and how long the log was then, which is what lets the simulator detect a mutation mid-pagination.
 */
export type Cursor =
  | { kind: 'settled'; position: number }
  | { kind: 'paging'; start: number; position: number; logLength: number };

export function encodeCursor(itemTag: string, cursor: Cursor): string {
  const parts = cursor.kind === 'settled'
    ? [itemTag, cursor.position]
    : [itemTag, cursor.start, cursor.position, cursor.logLength];
  return Buffer.from(`v1:${parts.join(':')}`).toString('base64url');
}

export function decodeCursor(itemTag: string, value: string, logLength: number): Cursor {
  const invalid = plaidErrors.invalidField('cursor is not valid for this Item; start again with an empty cursor');
  if (value.length > 256 || !/^[A-Za-z0-9_-]+$/.test(value)) throw invalid;
  const parts = Buffer.from(value, 'base64url').toString('utf8').split(':');
  if (parts[0] !== 'v1' || parts[1] !== itemTag) throw invalid;
  const numbers = parts.slice(2).map(Number);
  if (!numbers.every((n) => Number.isSafeInteger(n) && n >= 0)) throw invalid;
  const [a, b, c] = numbers;
  if (numbers.length === 1 && a !== undefined && a <= logLength) return { kind: 'settled', position: a };
  if (numbers.length === 3 && a !== undefined && b !== undefined && c !== undefined && a <= b && b <= c) {
    return { kind: 'paging', start: a, position: b, logLength: c };
  }
  throw invalid;
}
