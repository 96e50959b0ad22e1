import { errorLogFields } from '../error-log-fields.js';
import type { Logger } from '../logger.js';

interface Step {
  name: string;
  stop: () => Promise<void>;
  /** Outlives the process if skipped (a server process, a lock file): run even on a forced exit. */
  essential: boolean;
  running?: Promise<void>;
}

/**
 * What start-up has started, undone in reverse. Each step runs at most once, so a forced stop (a
 * second Ctrl+C) racing the graceful one only adds the essential steps the graceful one has not
 * reached yet, and waits for those it is already running.
 */
export class StopStack {
  private readonly steps: Step[] = [];

  constructor(private logger?: Logger) {}

  /** The logger exists only once configuration is read, after the stack (and the signal handlers) do. */
  setLogger(logger: Logger): void {
    this.logger = logger;
  }

  push(name: string, stop: () => Promise<void>, options: { essential?: boolean } = {}): void {
    this.steps.push({ name, stop, essential: options.essential ?? false });
  }

  /** Stops every step (or only the essential ones), last started first. Never throws. */
  async unwind(options: { essentialOnly?: boolean } = {}): Promise<void> {
    for (const step of [...this.steps].reverse()) {
      if (options.essentialOnly && !step.essential) continue;
      step.running ??= step.stop().catch((error: Error) => {
        this.logger?.error({ step: step.name, ...errorLogFields(error) }, 'shutdown_step_failed');
      });
      await step.running;
    }
  }
}
