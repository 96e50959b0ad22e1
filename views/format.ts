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

/** Balances arrive as numeric text; they are shown as stored, never through a float. */
export function formatMoney(amount: string | null, currency: string | null): string {
  if (amount === null) return '—';
  return currency === null ? amount : `${amount} ${currency}`;
}

export function shortId(id: string): string {
  return id.length > 13 ? `${id.slice(0, 8)}…` : id;
}
