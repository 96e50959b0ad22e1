/** A time in ms since the epoch as UTC to the tenth of a millisecond: `2026-12-06T07:42:00.5398Z`. */
export function utcTenths(ms: number): string {
  const iso = new Date(Math.floor(ms)).toISOString();
  const tenth = Math.floor((ms % 1) * 10);
  return `${iso.slice(0, -1)}${tenth}Z`;
}
