import { readFile, readdir } from 'node:fs/promises';
import { cpus } from 'node:os';
import type { Sql } from '../../src/db/client.js';

const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; with `mainThread`,
 * those of its main thread alone (/proc/<pid>/task/<pid>/stat: for node, the event loop's, without
 * the worker threads, GC helpers and thread pool).
 */
export async function processCpuSeconds(pid: number, { mainThread = false } = {}): Promise<number> {
  const stat = await readFile(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * Seconds a process's main thread has spent runnable but waiting for a CPU so far (the second field
 * of /proc/<pid>/schedstat), or null where the kernel does not keep scheduler statistics. For a node
 * process that is the event loop waiting to run: latency that no profile of the process shows as such
 * (a sampling profiler charges it to whatever was on the stack, often a socket write).
 */
export async function runQueueWaitSeconds(pid: number): Promise<number | null> {
  const fields = (await readFile(`/proc/${pid}/schedstat`, 'utf8').catch(() => '')).trim().split(' ');
  return fields.length >= 2 ? Number(fields[1]) / 1e9 : null;
}

/** Busy and total CPU seconds of the whole machine so far, from /proc/stat. */
async function machineCpu(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  const idle = ticks[3]! + (ticks[4] ?? 0);
  return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
}

/**
 * Starts counting CPU for the given processes and the machine; `stop()` returns each process's CPU
 * seconds, the seconds its main thread waited for a CPU (where the kernel says), and how many of the
 * machine's cores were busy on average (everything, other tenants too).
 */
export async function countCpu(pids: Record<string, number>): Promise<{ stop(): Promise<Record<string, number>> }> {
  const before = await Promise.all(Object.values(pids).map((pid) => processCpuSeconds(pid)));
  const mainBefore = await Promise.all(Object.values(pids).map((pid) => processCpuSeconds(pid, { mainThread: true })));
  const waitedBefore = await Promise.all(Object.values(pids).map(runQueueWaitSeconds));
  const machineBefore = await machineCpu();
  return {
    async stop() {
      const after = await Promise.all(Object.values(pids).map((pid) => processCpuSeconds(pid)));
      const mainAfter = await Promise.all(Object.values(pids).map((pid) => processCpuSeconds(pid, { mainThread: true })));
      const waitedAfter = await Promise.all(Object.values(pids).map(runQueueWaitSeconds));
      const machineAfter = await machineCpu();
      const result: Record<string, number> = {};
      Object.keys(pids).forEach((name, i) => {
        result[`${name} CPU seconds`] = after[i]! - before[i]!;
        result[`${name} main thread CPU seconds`] = mainAfter[i]! - mainBefore[i]!;
        const [from, to] = [waitedBefore[i], waitedAfter[i]];
        if (from !== null && from !== undefined && to !== null && to !== undefined) result[`${name} main thread waiting for a CPU, seconds`] = to - from;
      });
      const share = (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total);
      result['machine cores busy (all processes)'] = share * cpus().length;
      return result;
    },
  };
}

/** CPU seconds of every process of the PostgreSQL server so far (postmaster and its children), by pid. */
async function postgresCpu(sql: Sql): Promise<Map<number, number>> {
  const [backend] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
  const parentOf = async (pid: number) => {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  };
  const postmaster = await parentOf(backend!.pid);
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const cpu = new Map<number, number>();
  await Promise.all(pids.map(async (pid) => {
    if (pid !== postmaster && (await parentOf(pid)) !== postmaster) return;
    const seconds = await processCpuSeconds(pid).catch(() => null);
    if (seconds !== null) cpu.set(pid, seconds);
  }));
  return cpu;
}

/**
 * Starts counting the CPU of the PostgreSQL server `sql` is connected to (it must run on this
 * machine); `stop()` returns its CPU seconds since. Backends started since count from zero; ones
 * that ended in between are missed.
 */
export async function countPostgresCpu(sql: Sql): Promise<{ stop(): Promise<number> }> {
  const before = await postgresCpu(sql);
  return {
    async stop() {
      let seconds = 0;
      for (const [pid, now] of await postgresCpu(sql)) seconds += now - (before.get(pid) ?? 0);
      return seconds;
    },
  };
}
