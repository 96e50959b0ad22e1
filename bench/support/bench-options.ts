import { loadavg } from 'node:os';

/** `--smoke` (or BENCH_SMOKE=1): tiny sizes, so CI can check that every benchmark still runs. */
export function isSmoke(): boolean {
  return process.env.BENCH_SMOKE === '1';
}

/** The full size, or the smoke size. */
export function sized(full: number, smoke: number): number {
  return isSmoke() ? smoke : full;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The one-minute load average: the machine is shared, so every figure is reported next to it. */
export function load1(): number {
  return Number(loadavg()[0]!.toFixed(2));
}

/** Resolves once `check` answers true, polling every `everyMs`; rejects after `timeoutMs`. */
export async function until(check: () => Promise<boolean>, { everyMs = 50, timeoutMs = 600_000, what = 'condition' } = {}): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
