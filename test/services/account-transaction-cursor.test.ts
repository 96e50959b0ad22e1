import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/http/errors.js';
import { decodeCursor, encodeCursor } from '../../src/services/transaction-cursor.js';

describe('transaction cursor', () => {
  it('round-trips a position and is opaque', () => {
    const cursor = encodeCursor({ date: '2026-02-03', id: 'abc/+=' });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual({ date: '2026-02-03', id: 'abc/+=' });
  });

  it('refuses anything it did not produce', () => {
    for (const bad of ['', '%%%', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('["2026-13-45","x"]').toString('base64url'), Buffer.from('["2026-01-01",""]').toString('base64url')]) {
      expect(() => decodeCursor(bad), bad).toThrow(ValidationError);
    }
  });
});
