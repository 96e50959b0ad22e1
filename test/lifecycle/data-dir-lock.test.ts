import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireDataDirLock, DATA_DIR_LOCK_FILE } from '../../src/lifecycle/data-dir-lock.js';
import { StartupError } from '../../src/lifecycle/startup-error.js';

let dataDir: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'plaid-sync-lock-'));
});
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

/** Another live process, as the owner a second start finds in the lock. */
function otherProcess(): ChildProcess {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(child);
  return child;
}

function startTimeOf(pid: number): Promise<string> {
  return readFile(`/proc/${pid}/stat`, 'utf8').then((stat) => stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!);
}

const lockFile = () => path.join(dataDir, DATA_DIR_LOCK_FILE);

describe('DATA_DIR lock', () => {
  it('is taken with this process as owner and released on stop', async () => {
    const lock = await acquireDataDirLock(dataDir, { port: 3123 });
    expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toMatchObject({ pid: process.pid, port: 3123 });
    await lock.release();
    await expect(readFile(lockFile(), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses while another live process holds it, naming it and what to do', async () => {
    const owner = otherProcess();
    const startTime = process.platform === 'linux' ? await startTimeOf(owner.pid!) : undefined;
    await writeFile(lockFile(), JSON.stringify({ pid: owner.pid, startTime, port: 3000 }));
    const refused = acquireDataDirLock(dataDir);
    await expect(refused).rejects.toBeInstanceOf(StartupError);
    await expect(refused).rejects.toThrow(`DATA_DIR ${dataDir} is in use by another plaid-sync (pid ${owner.pid} on port 3000): stop that one first`);
    // The owner's lock is left as it was.
    expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toMatchObject({ pid: owner.pid });
  });

  it('takes over a stale lock: its owner died, or its pid now belongs to another process', async () => {
    const dead = spawn('true');
    await new Promise((resolve) => dead.on('exit', resolve));
    await writeFile(lockFile(), JSON.stringify({ pid: dead.pid }));
    await (await acquireDataDirLock(dataDir)).release();

    if (process.platform === 'linux') {
      const reused = otherProcess();
      await writeFile(lockFile(), JSON.stringify({ pid: reused.pid, startTime: '1' }));
      const lock = await acquireDataDirLock(dataDir);
      expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toMatchObject({ pid: process.pid });
      await lock.release();
    }
  });

  it('takes over a lock file that is not a lock (empty or garbled, as after a disk filled up)', async () => {
    await writeFile(lockFile(), '');
    await (await acquireDataDirLock(dataDir)).release();
    await writeFile(lockFile(), '{"pid":');
    await (await acquireDataDirLock(dataDir)).release();
  });

  it('does not release a lock that another process has taken since', async () => {
    const lock = await acquireDataDirLock(dataDir);
    await writeFile(lockFile(), JSON.stringify({ pid: 12345 }));
    await lock.release();
    expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toEqual({ pid: 12345 });
  });
});
