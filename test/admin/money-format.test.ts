import { describe, expect, it } from 'vitest';
import { formatMoney, formatQuantity } from '../../views/format.js';

describe('money on the admin page', () => {
  it('shows at least the currency\'s minor units, grouped', () => {
    expect(formatMoney('861.4', 'USD')).toBe('861.40 USD');
    expect(formatMoney('-5', 'USD')).toBe('-5.00 USD');
    expect(formatMoney('1500', 'JPY')).toBe('1,500 JPY');
    expect(formatMoney('12.5', 'BHD')).toBe('12.500 BHD');
  });

  it('formats the decimal text exactly: no float rounding, no stored digit dropped', () => {
    expect(formatMoney('12345678901234567.89', 'USD')).toBe('12,345,678,901,234,567.89 USD');
    expect(formatMoney('0.1000', 'USD')).toBe('0.10 USD');
    expect(formatMoney('98765.4321', 'USD')).toBe('98,765.4321 USD');
    expect(formatQuantity('12.5000')).toBe('12.5');
    expect(formatQuantity('3')).toBe('3');
  });

  it('shows what it cannot format as stored', () => {
    expect(formatMoney(null, 'USD')).toBe('—');
    expect(formatMoney('12.3', null)).toBe('12.3');
    expect(formatMoney('0.00012', 'USDT')).toBe('0.00012 USDT');
    expect(formatMoney('1e3', 'USD')).toBe('1e3 USD');
  });
});
