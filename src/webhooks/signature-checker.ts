import { verify, type KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../logger.js';

/** Checks the ES256 signature of a webhook's token: `signature` (IEEE P1363, r‖s) over `signed`. */
export interface SignatureChecker {
  verify(key: KeyObject, signed: Buffer, signature: Buffer): Promise<boolean>;
  /** Checks still waiting are answered (on this thread); later ones are checked here. Idempotent. */
  close(): Promise<void>;
}

function verifyHere(key: KeyObject, signed: Buffer, signature: Buffer): boolean {
  return verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, signature);
}

/** Every check on the calling thread, at once (tests, tools). */
export const inlineSignatureChecker: SignatureChecker = {
  verify: (key, signed, signature) => new Promise((resolve) => resolve(verifyHere(key, signed, signature))),
  close: () => Promise.resolve(),
};

/**
 * The worker's program: it checks each batch it is sent, in order, and answers with one byte per
 * check (1 valid, 0 not, 2 the check threw: it is made again on the event loop, to throw there).
 * Plain JavaScript evaluated by the worker, so it runs the same under tsx, vitest and the bundle in
 * dist/ (a worker file would need each of their loaders).
 */
const SIGNATURE_WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { verify } = require('node:crypto');
parentPort.on('message', ({ keys, checks }) => {
  const valid = new Uint8Array(checks.length);
  for (let i = 0; i < checks.length; i++) {
    const [key, signed, signature] = checks[i];
    try {
      valid[i] = verify('sha256', signed, { key: keys[key], dsaEncoding: 'ieee-p1363' }, signature) ? 1 : 0;
    } catch {
      valid[i] = 2;
    }
  }
  parentPort.postMessage(valid);
});`;

/** A worker that failed this many times in a row without answering a batch is not started again. */
const MAX_CONSECUTIVE_FAILURES = 3;

interface Check {
  key: KeyObject;
  signed: Buffer;
  signature: Buffer;
  resolve(valid: boolean): void;
  reject(error: unknown): void;
}

/** Answers a check on this thread; one that throws fails alone, not its batch. */
function checkOne(check: Check): void {
  try {
    check.resolve(verifyHere(check.key, check.signed, check.signature));
  } catch (error) {
    check.reject(error);
  }
}

export interface SignatureWorkerOptions {
  logger: Logger;
  /** The worker's program; tests give a failing one. */
  source?: string;
}

export interface SignatureWorkerStats {
  /** Checks answered by the worker, and batches it was sent. */
  inWorker: number;
  batches: number;
  /** Checks made on the calling thread: alone in their turn, the worker gone or closed, or one that threw in it. */
  inline: number;
  workerFailures: number;
}

/**
 * ES256 checks for the webhook intake, off its event loop when they come together. Each is about
 * 0.1 ms of CPU, a quarter of what the event loop spent on a delivery in a burst, and that one
 * thread also serves the API and the admin page. Checks asked for in the same turn of the event
 * loop go to one worker thread as one message (the hop to a thread costs about as much as one
 * check, so it only pays for a batch); while the worker has a batch, the next one gathers. A check that is alone in
 * its turn, with the worker idle, is made here at once: a trickle of deliveries waits for no hop.
 *
 * A worker that fails (crashes or exits) has its batch checked here and is replaced on the next batch;
 * after `MAX_CONSECUTIVE_FAILURES` failures in a row every check is made here, and that is logged.
 */
export function createSignatureWorker({ logger, source = SIGNATURE_WORKER_SOURCE }: SignatureWorkerOptions): SignatureChecker & { stats(): SignatureWorkerStats } {
  const stats: SignatureWorkerStats = { inWorker: 0, batches: 0, inline: 0, workerFailures: 0 };
  let worker: Worker | undefined;
  let waiting: Check[] = [];
  let inFlight: Check[] | undefined;
  let scheduled = false;
  let consecutiveFailures = 0;
  let closed = false;

  const checkHere = (batch: Check[]) => {
    stats.inline += batch.length;
    batch.forEach(checkOne);
  };

  const start = (): Worker => {
    const created = new Worker(source, { eval: true });
    // Idle, it must not keep the process alive; `close` ends it at shutdown.
    created.unref();
    created.on('message', (valid: Uint8Array) => {
      const batch = inFlight!;
      inFlight = undefined;
      consecutiveFailures = 0;
      batch.forEach((check, index) => {
        if (valid[index] === 2) return checkHere([check]);
        stats.inWorker += 1;
        check.resolve(valid[index] === 1);
      });
      send();
    });
    const lost = (error?: Error) => {
      if (worker !== created) return;
      worker = undefined;
      if (!closed) {
        consecutiveFailures += 1;
        stats.workerFailures += 1;
        const givingUp = consecutiveFailures >= MAX_CONSECUTIVE_FAILURES;
        logger[givingUp ? 'error' : 'warn'](
          { err: error, failures: consecutiveFailures },
          givingUp ? 'signature_worker_given_up' : 'signature_worker_lost',
        );
      }
      const batch = inFlight;
      inFlight = undefined;
      if (batch) checkHere(batch);
      send();
    };
    created.on('error', lost);
    created.on('exit', () => lost());
    return created;
  };

  const send = () => {
    if (inFlight || waiting.length === 0) return;
    const batch = waiting;
    waiting = [];
    if (batch.length === 1 || closed || consecutiveFailures >= MAX_CONSECUTIVE_FAILURES) {
      checkHere(batch);
      return;
    }
    // A batch names each key once; a KeyObject is cloned into the worker with the message.
    const keys: KeyObject[] = [];
    const checks = batch.map(({ key, signed, signature }) => {
      let index = keys.indexOf(key);
      if (index < 0) index = keys.push(key) - 1;
      return [index, signed, signature] as const;
    });
    inFlight = batch;
    stats.batches += 1;
    try {
      worker ??= start();
      worker.postMessage({ keys, checks });
    } catch (error) {
      // No worker could be started, or the message could not be sent: nothing reached a worker.
      inFlight = undefined;
      logger.warn({ err: error }, 'signature_worker_unavailable');
      checkHere(batch);
    }
  };

  return {
    verify(key, signed, signature) {
      return new Promise((resolve, reject) => {
        if (closed) {
          checkHere([{ key, signed, signature, resolve, reject }]);
          return;
        }
        waiting.push({ key, signed, signature, resolve, reject });
        if (scheduled) return;
        scheduled = true;
        // After the I/O of this turn: the deliveries read in it join the batch.
        setImmediate(() => {
          scheduled = false;
          send();
        });
      });
    },
    async close() {
      closed = true;
      const current = worker;
      // Its batch is checked here when it exits (`lost`), so no caller is left waiting.
      if (current) await current.terminate();
      send();
    },
    stats: () => ({ ...stats }),
  };
}
