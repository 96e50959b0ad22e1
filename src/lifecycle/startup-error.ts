/**
 * A start-up failure the operator can fix, told in one line that says what to do. `main.ts` prints it
 * as `plaid-sync: <message>` without a stack trace; anything else is a bug and keeps its details.
 */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** Start-up was interrupted by a signal: everything already started has been stopped again. */
export class StartupAborted extends Error {
  override name = 'StartupAborted';
  constructor() {
    super('start-up interrupted');
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new StartupAborted();
}
