/**
 * What a benchmark starts that would outlive it if it were interrupted: the embedded PostgreSQL runs
 * in a session of its own (pg_ctl starts it detached, so a terminal's Ctrl+C does not reach it) and
 * the service child has no channel to its parent, so a SIGINT or SIGTERM that ends the benchmark
 * would leave both running and the database's directory behind. Each registers its stop here while
 * it runs; `stopOnSignals` (installed by bench/run.ts) stops them, the latest first, and exits.
 * The simulator child needs none: it exits when its IPC channel closes with its parent.
 */
const running: (() => Promise<void>)[] = [];

/** Stops must not hold an interrupted benchmark up for longer than this. */
const STOP_TIMEOUT_MS = 30_000;

/**
 * Registers `stop` until the returned function is called (when the thing stopped normally). After a
 * signal the benchmark's own `finally` may call the same stop while the handler does: give a stop
 * that can be called twice (each here keeps its first call's promise).
 */
export function stopIfInterrupted(stop: () => Promise<void>): () => void {
  running.push(stop);
  return () => {
    const at = running.indexOf(stop);
    if (at >= 0) running.splice(at, 1);
  };
}

/** Stops everything registered, the latest first (a service before its database); never throws. */
export async function stopRunning(log: (line: string) => void = (line) => console.error(line)): Promise<void> {
  const deadline = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), STOP_TIMEOUT_MS).unref());
  while (running.length > 0) {
    const stop = running.pop()!;
    const outcome = await Promise.race([stop().then(() => 'stopped' as const, (error: unknown) => error), deadline]);
    if (outcome === 'late') {
      log(`gave up waiting after ${STOP_TIMEOUT_MS / 1000} s; ${running.length + 1} left running`);
      return;
    }
    if (outcome !== 'stopped') log(`a stop failed: ${(outcome as Error).message ?? String(outcome)}`);
  }
}

let signalled: NodeJS.Signals | undefined;

/**
 * The signal that interrupted the benchmark, if one did. The benchmark's own code then fails too
 * (its service is gone); the runner leaves the exit to the handler rather than report that failure.
 */
export function interruptedBy(): NodeJS.Signals | undefined {
  return signalled;
}

/** On SIGINT or SIGTERM: stop what the benchmark started, then exit 130 or 143 (a second signal exits at once). */
export function stopOnSignals(): void {
  const handle = (signal: NodeJS.Signals) => {
    signalled = signal;
    console.error(`\n${signal}: stopping the benchmark's service and database`);
    process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));
    void stopRunning().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', handle);
  process.once('SIGTERM', handle);
}
