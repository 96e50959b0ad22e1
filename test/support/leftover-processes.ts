import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { processAlive } from '../../src/db/embedded-postgres.js';
import { DATA_DIR_LOCK_FILE } from '../../src/lifecycle/data-dir-lock.js';

/** Live processes whose command line names this directory (postgres -D, initdb, pg_ctl), by /proc (Linux). */
export async function processesNaming(dir: string): Promise<string[]> {
  if (process.platform !== 'linux') return [];
  const found: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(dir) && processAlive(Number(entry))) found.push(`${entry}: ${cmdline.replaceAll('\0', ' ').trim()}`);
  }
  return found;
}

export async function postmasterPid(dataDir: string): Promise<number | undefined> {
  const text = await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : Number(text.split('\n')[0]);
}

/**
 * What a stopped service may leave in DATA_DIR: nothing running, no live postmaster, no lock.
 * Empty when the directory is clean; otherwise one description per thing left behind.
 */
export async function leftovers(dataDir: string): Promise<string[]> {
  const left = await processesNaming(dataDir);
  const pid = await postmasterPid(dataDir);
  if (pid !== undefined && processAlive(pid)) left.push(`postmaster ${pid} alive`);
  const lock = await readFile(path.join(dataDir, DATA_DIR_LOCK_FILE), 'utf8').catch(() => undefined);
  if (lock !== undefined) left.push(`lock file: ${lock.trim()}`);
  return left;
}
