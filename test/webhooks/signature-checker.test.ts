import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSignatureWorker, inlineSignatureChecker } from '../../src/webhooks/signature-checker.js';
import { captureLogs } from '../support/app.js';

const plaid = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });

interface Case {
  key: KeyObject;
  signed: Buffer;
  signature: Buffer;
  valid: boolean;
}

/** Tokens as a burst brings them: genuine ones, ones signed by another key, and tampered ones. */
function burst(count: number): Case[] {
  return Array.from({ length: count }, (_, index) => {
    const signed = Buffer.from(`header-${index}.payload-${index}`);
    const signer = index % 3 === 1 ? other.privateKey : plaid.privateKey;
    const signature = sign('sha256', signed, { key: signer, dsaEncoding: 'ieee-p1363' });
    if (index % 3 === 2) signature[10]! ^= 1;
    return { key: plaid.publicKey, signed, signature, valid: index % 3 === 0 };
  });
}

const checkAll = (checker: { verify: typeof inlineSignatureChecker.verify }, cases: Case[]) =>
  Promise.all(cases.map(({ key, signed, signature }) => checker.verify(key, signed, signature)));

describe('signature worker', () => {
  it('checks the signatures asked for together on its thread, as one batch, with the answers made here', async () => {
    const { logger } = captureLogs();
    const checker = createSignatureWorker({ logger });
    const cases = burst(30);
    try {
      expect(await checkAll(checker, cases)).toEqual(cases.map((c) => c.valid));
      expect(await checkAll(inlineSignatureChecker, cases)).toEqual(cases.map((c) => c.valid));
      expect(checker.stats()).toMatchObject({ inWorker: 30, batches: 1, inline: 0, workerFailures: 0 });
      // While the worker has a batch, the next ones gather: three bursts in a row, nothing lost.
      const later = await Promise.all([checkAll(checker, burst(9)), checkAll(checker, burst(9).reverse())]);
      expect(later).toEqual([burst(9).map((c) => c.valid), burst(9).reverse().map((c) => c.valid)]);
    } finally {
      await checker.close();
    }
  });

  it('checks a signature alone in its turn here, at once (a trickle waits for no thread)', async () => {
    const { logger } = captureLogs();
    const checker = createSignatureWorker({ logger });
    const [genuine, , tampered] = burst(3) as [Case, Case, Case];
    expect(await checker.verify(genuine.key, genuine.signed, genuine.signature)).toBe(true);
    expect(await checker.verify(tampered.key, tampered.signed, tampered.signature)).toBe(false);
    expect(checker.stats()).toMatchObject({ inWorker: 0, batches: 0, inline: 2 });
    await checker.close();
  });

  it('checks a failed worker’s batch here and starts another; after three failures in a row it checks everything here', async () => {
    const { logger, lines } = captureLogs();
    const failing = `require('node:worker_threads').parentPort.on('message', () => { throw new Error('boom'); });`;
    const checker = createSignatureWorker({ logger, source: failing });
    const cases = burst(6);
    for (let round = 1; round <= 4; round++) {
      expect(await checkAll(checker, cases)).toEqual(cases.map((c) => c.valid));
    }
    // Three workers were sent a batch and failed; the fourth burst was not sent to any.
    expect(checker.stats()).toMatchObject({ batches: 3, workerFailures: 3, inWorker: 0, inline: 24 });
    expect(lines.filter((line) => line.msg === 'signature_worker_lost')).toHaveLength(2);
    expect(lines.filter((line) => line.msg === 'signature_worker_given_up')).toEqual([expect.objectContaining({ level: 'error', failures: 3 })]);
    await checker.close();
  });

  it('fails a check that throws on its own, in a batch or alone, and answers the rest of its batch', async () => {
    const { logger } = captureLogs();
    const checker = createSignatureWorker({ logger });
    const cases = burst(6);
    const unusable = generateKeyPairSync('x25519').publicKey;
    try {
      const answers = await Promise.allSettled([
        ...cases.map(({ key, signed, signature }) => checker.verify(key, signed, signature)),
        checker.verify(unusable, cases[0]!.signed, cases[0]!.signature),
      ]);
      expect(answers.slice(0, 6)).toEqual(cases.map((c) => ({ status: 'fulfilled', value: c.valid })));
      expect(answers[6]).toMatchObject({ status: 'rejected', reason: expect.objectContaining({ message: expect.stringContaining('not supported') }) });
      expect(checker.stats()).toMatchObject({ batches: 1, inWorker: 6, inline: 1, workerFailures: 0 });
      await expect(checker.verify(unusable, cases[0]!.signed, cases[0]!.signature)).rejects.toThrow('not supported');
    } finally {
      await checker.close();
    }
  });

  it('answers what the worker still has when it is closed, and checks later signatures here', async () => {
    const { logger, lines } = captureLogs();
    const checker = createSignatureWorker({ logger });
    const cases = burst(12);
    const answers = checkAll(checker, cases);
    // The batch is sent after this turn's I/O; close while the worker has it (or is starting).
    await new Promise((resolve) => setImmediate(resolve));
    await checker.close();
    expect(await answers).toEqual(cases.map((c) => c.valid));
    expect(await checkAll(checker, cases)).toEqual(cases.map((c) => c.valid));
    expect(checker.stats().inline).toBeGreaterThanOrEqual(12);
    await checker.close();
    // Closing is not a failure.
    expect(lines.filter((line) => String(line.msg).startsWith('signature_worker'))).toEqual([]);
  });
});
