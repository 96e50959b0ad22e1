import { readFileSync } from 'node:fs';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { processAlive } from '../db/embedded-postgres.js';
import { StartupError } from './startup-error.js';

export const DATA_DIR_LOCK_FILE = 'plaid-sync.lock';

interface LockOwner {
  pid: number;
  /** Kernel start time of the process (Linux), so a pid reused after a reboot is not taken for the owner. */
  startTime?: string;
  port?: number;
}

export interface DataDirLock {
  release(): Promise<void>;
}

function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces); starttime is field 22 overall.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(text) as LockOwner;
    return Number.isInteger(owner.pid) && owner.pid > 0 ? owner : undefined;
  } catch {
    return undefined;
  }
}

function ownerAlive(owner: LockOwner | undefined): owner is LockOwner {
  if (owner === undefined || owner.pid === process.pid || !processAlive(owner.pid)) return false;
  const startTime = startTimeOf(owner.pid);
  return owner.startTime === undefined || startTime === undefined || startTime === owner.startTime;
}

function lockedError(dataDir: string, owner: LockOwner): StartupError {
  const where = owner.port ? ` on port ${owner.port}` : '';
  return new StartupError(
    `DATA_DIR ${dataDir} is in use by another plaid-sync (pid ${owner.pid}${where}): stop that one first, or give this one a DATA_DIR of its own`,
  );
}

/**
 * Takes `DATA_DIR/plaid-sync.lock` for this process, or refuses with the owner's pid. The file is
 * created exclusively, so two starts cannot both win; a lock whose owner is gone (killed, power cut)
 * is stale and taken over. The takeover moves the stale file aside before deleting it and checks it
 * moved the file it judged, so a racing start's fresh lock is put back rather than lost.
 */
export async function acquireDataDirLock(dataDir: string, options: { port?: number } = {}): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true });
  const file = path.join(dataDir, DATA_DIR_LOCK_FILE);
  const mine = JSON.stringify({ pid: process.pid, startTime: startTimeOf(process.pid), port: options.port } satisfies LockOwner);
  const draft = `${file}.${process.pid}`;

  for (let attempt = 0; attempt < 5; attempt++) {
    await writeFile(draft, `${mine}\n`);
    try {
      // link() fails if the lock exists, and publishes a complete file (never a half-written one).
      await link(draft, file);
      await unlink(draft);
      return { release: () => releaseLock(file, mine) };
    } catch (error) {
      await unlink(draft).catch(() => undefined);
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const seen = await readFile(file, 'utf8').catch(() => undefined);
    if (seen === undefined) continue;
    const owner = parseOwner(seen);
    if (ownerAlive(owner)) throw lockedError(dataDir, owner);

    const aside = `${file}.stale.${process.pid}`;
    try {
      await rename(file, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    const moved = await readFile(aside, 'utf8').catch(() => undefined);
    if (moved !== undefined && moved !== seen) await link(aside, file).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
  }
  throw new StartupError(`DATA_DIR ${dataDir}: could not take ${DATA_DIR_LOCK_FILE}, other starts keep racing for it; try again`);
}

async function releaseLock(file: string, mine: string): Promise<void> {
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current?.trim() === mine) await unlink(file).catch(() => undefined);
}
