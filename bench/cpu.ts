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
