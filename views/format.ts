/** Absolute UTC times to the second: operators compare them with logs, and they never shift while polling. */
export function formatTimestamp(value: Date | string | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return '—';
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function isoString(value: Date | string): string {
  return (typeof value === 'string' ? new Date(value) : value).toISOString();
}

export function formatDuration(start: Date, end: Date | null): string {
  if (end === null) return '…';
  const ms = end.getTime() - start.getTime();
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const minorUnits = new Map<string, number | null>();

/** The currency's minor units (2 for USD, 0 for JPY); null for a code Intl does not accept (unofficial ones such as USDT). */
function minorUnitsOf(currency: string): number | null {
  if (!minorUnits.has(currency)) {
    try {
      minorUnits.set(currency, new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? null);
    } catch {
      minorUnits.set(currency, null);
    }
  }
  return minorUnits.get(currency)!;
}

const DECIMAL = /^-?\d+(\.(\d+))?$/;

/**
 * Amounts arrive as numeric text and are formatted from that text (Intl formats a decimal string
 * exactly), never through a float: at least the currency's minor units (861.40 USD, 1,200 JPY),
 * and never fewer digits than stored (a price kept to four decimals keeps them).
 */
export function formatMoney(amount: string | null, currency: string | null): string {
  if (amount === null) return '—';
  const match = DECIMAL.exec(amount);
  const units = currency === null ? null : minorUnitsOf(currency);
  if (match === null || units === null) return currency === null ? amount : `${amount} ${currency}`;
  const stored = match[2]?.replace(/0+$/, '').length ?? 0;
  const digits = new Intl.NumberFormat('en-US', { minimumFractionDigits: units, maximumFractionDigits: Math.min(20, Math.max(units, stored)) });
  return `${digits.format(amount as Intl.StringNumericLiteral)} ${currency}`;
}

/** A quantity (shares, units) from its numeric text, trailing zeros dropped, never through a float. */
export function formatQuantity(value: string): string {
  const match = DECIMAL.exec(value);
  if (match === null) return value;
  const stored = match[2]?.replace(/0+$/, '').length ?? 0;
  return new Intl.NumberFormat('en-US', { maximumFractionDigits: Math.min(20, stored) }).format(value as Intl.StringNumericLiteral);
}

export function shortId(id: string): string {
  return id.length > 13 ? `${id.slice(0, 8)}…` : id;
}
