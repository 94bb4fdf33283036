// CPU time of the benches' worker processes, read from /proc (Linux): user + system time of every
// thread of a process, so a worker's Temporal core, libuv pool and JavaScript threads all count.
import { readFile } from 'node:fs/promises';

/** sysconf(_SC_CLK_TCK): 100 on Linux on every architecture Node runs on. */
const CLOCK_TICKS = 100;

/** User + system CPU time of a process and all its threads so far, in seconds (/proc/<pid>/stat). */
export async function cpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Fields after the command's closing parenthesis: state is the 1st, utime the 12th, stime the 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks / CLOCK_TICKS : undefined;
}

/**
 * What the processes spend doing nothing (pollers, Kafka heartbeats, timers), in CPU-seconds per
 * second of wall time, measured over `ms` while no work is given them: the fixed cost of each process,
 * which grows with the number of processes and the run's length, not with its records.
 */
export async function idleCpuRate(pids: (number | undefined)[], ms = 5_000): Promise<number> {
  const total = async () =>
    (await Promise.all(pids.map(cpuSeconds))).reduce<number>((n, s) => n + (s ?? 0), 0);
  const before = await total();
  const from = Date.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ((await total()) - before) / ((Date.now() - from) / 1000);
}

/** The CPU figures of a run: gross, the processes' idle share of it, and the rest per record. */
export function cpuPerRecord(cpuS: number, idlePerS: number, wallS: number, records: number): string {
  const idle = Math.min(cpuS, idlePerS * wallS);
  const us = (s: number) => ((s * 1e6) / records).toFixed(1);
  return (
    `${us(cpuS)} CPU-µs per record; of which idle ${us(idle)} (${idlePerS.toFixed(3)} CPU-s/s measured before the run, ` +
    `× ${wallS.toFixed(1)} s); net of idle ${us(cpuS - idle)} CPU-µs per record`
  );
}
