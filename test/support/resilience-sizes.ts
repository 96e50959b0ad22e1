import { appendFileSync } from 'node:fs';

/** `npm run soak` sets this: the full sizes of docs/reliability.md instead of the bounded CI ones. */
export const SOAK = process.env.RESILIENCE_SOAK === '1';

/** The CI size, or the soak size under `npm run soak`. */
export function size(ci: number, soak: number): number {
  return SOAK ? soak : ci;
}

/**
 * Prints a test's figures on one line (`[resilience] name {...}`) and, when RESILIENCE_RESULTS names a
 * file, appends them there as JSON for the soak summary.
 */
export function printFigures(name: string, figures: Record<string, unknown>): void {
  const line = JSON.stringify({ test: name, mode: SOAK ? 'soak' : 'ci', ...figures });
  process.stdout.write(`[resilience] ${line}\n`);
  const file = process.env.RESILIENCE_RESULTS;
  if (file) appendFileSync(file, `${line}\n`);
}

/** Fisher–Yates with a fixed seed, so a failure replays in the same order. */
export function seededShuffle<T>(values: readonly T[], seed: number): T[] {
  const out = [...values];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
