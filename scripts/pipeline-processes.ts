// The pipeline's processes for one environment: worker, API and emulator as real child processes,
// started, checked for readiness, watched and stopped; one-shot scripts (setup, seed, batch) run to
// completion. Shared by the demo (scripts/demo.ts) and the browser test of the running system.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import proto from '@temporalio/proto';
import { ENTITIES } from '../domain/wire.ts';
import { readSeedInfo } from '../emulator/source-db.ts';
import type { Summary } from '../emulator/stats.ts';
import { loadConfig, type Config } from '../infra/config.ts';
import { createPool } from '../infra/db.ts';
import { createKafka } from '../infra/kafka.ts';
import { lazyAdmin } from '../infra/stream-status.ts';
import { connectTemporal } from '../infra/temporal.ts';
import { startStreamShards } from '../workers/streams.ts';

export const ROOT = path.resolve(import.meta.dirname, '..');

/** Where a child's output goes: this terminal, each line labelled `[name]`, or `<dir>/<name>.log`. */
export type Output = { to: 'terminal' } | { to: 'files'; dir: string };
export const TERMINAL: Output = { to: 'terminal' };

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StopResult {
  name: string;
  status: ExitStatus;
  /** It did not exit within the timeout after SIGTERM and got SIGKILL. */
  killed: boolean;
}

export const STOP_TIMEOUT_MS = 15_000;
const WORKER_READY_TIMEOUT_MS = 120_000;
const API_READY_TIMEOUT_MS = 60_000;
const LAST_LINES = 40;

export const describeExit = ({ code, signal }: ExitStatus): string =>
  signal ? `killed by ${signal}` : `exit code ${code}`;

/** A child exited while it should have kept running, or a one-shot script failed. */
export class ChildExitError extends Error {
  override readonly name = 'ChildExitError';
  readonly child: string;
  readonly status: ExitStatus;
  readonly lastLines: string[];
  readonly logFile: string | undefined;
  constructor(child: string, status: ExitStatus, lastLines: string[], logFile: string | undefined) {
    super(`${child} exited (${describeExit(status)})`);
    this.child = child;
    this.status = status;
    this.lastLines = lastLines;
    this.logFile = logFile;
  }
}

// Children left running when this process exits for any reason would hold ports and task queues.
const live = new Set<PipelineProcess>();
let killOnExit = false;

export class PipelineProcess {
  readonly exited: Promise<ExitStatus>;
  readonly logFile: string | undefined;
  #status: ExitStatus | undefined;
  #stopping = false;
  readonly #lines: string[] = [];

  readonly name: string;
  private readonly child: ChildProcess;
  constructor(name: string, child: ChildProcess, output: Output) {
    this.name = name;
    this.child = child;
    this.logFile = output.to === 'files' ? path.join(output.dir, `${name}.log`) : undefined;
    const write = this.#sink(this.logFile);
    const follow = (stream: Readable | null, terminal: NodeJS.WriteStream) => {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.#line(line, write, terminal));
    };
    follow(child.stdout, process.stdout);
    follow(child.stderr, process.stderr);
    live.add(this);
    // 'close' comes after the output streams end, so the last lines are in by then.
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        live.delete(this);
        this.#status = { code, signal };
        write.end();
        resolve(this.#status);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }
  get status(): ExitStatus | undefined {
    return this.#status;
  }
  /** stop() or kill() was asked: an exit now is no surprise. */
  get stopping(): boolean {
    return this.#stopping;
  }
  lastLines(): string[] {
    return [...this.#lines];
  }

  /** SIGTERM (the processes drain on it), then SIGKILL if it has not exited after `timeoutMs`. */
  async stop(timeoutMs = STOP_TIMEOUT_MS): Promise<StopResult> {
    this.#stopping = true;
    if (this.#status) return { name: this.name, status: this.#status, killed: false };
    this.child.kill('SIGTERM');
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      sleep(timeoutMs, true, { ref: false }),
    ]);
    if (timedOut) this.child.kill('SIGKILL');
    return { name: this.name, status: await this.exited, killed: timedOut };
  }

  kill(): void {
    this.#stopping = true;
    if (!this.#status) this.child.kill('SIGKILL');
  }

  #sink(logFile: string | undefined): { write(line: string): void; end(): void } {
    if (logFile === undefined) return { write: () => undefined, end: () => undefined };
    mkdirSync(path.dirname(logFile), { recursive: true });
    const file = createWriteStream(logFile, { flags: 'a' });
    file.write(`--- ${new Date().toISOString()} ${this.name} started (pid ${this.pid}) ---\n`);
    return { write: (line) => file.write(`${line}\n`), end: () => file.end() };
  }

  #line(line: string, sink: { write(line: string): void }, terminal: NodeJS.WriteStream): void {
    this.#lines.push(line);
    if (this.#lines.length > LAST_LINES) this.#lines.shift();
    if (this.logFile) sink.write(line);
    else terminal.write(`[${this.name}] ${line}\n`);
  }
}

/** The processes of one pipeline (one environment); `crashed` rejects when one of them dies unasked. */
export class ProcessGroup {
  readonly config: Config;
  readonly crashed: Promise<never>;
  readonly #processes: PipelineProcess[] = [];
  #crash!: (err: ChildExitError) => void;

  readonly env: NodeJS.ProcessEnv;
  readonly output: Output;
  constructor(env: NodeJS.ProcessEnv, output: Output) {
    this.env = env;
    this.output = output;
    this.config = loadConfig(env);
    this.crashed = new Promise<never>((_, reject) => (this.#crash = reject));
    // Whoever watches awaits `crashed`; a group nobody watches must not crash the process with it.
    this.crashed.catch(() => undefined);
    if (!killOnExit) {
      killOnExit = true;
      process.on('exit', () => live.forEach((p) => p.kill()));
    }
  }

  /** A long-running child: if it exits before stop(), `crashed` rejects. */
  start(name: string, script: string, args: string[] = [], output = this.output): PipelineProcess {
    const p = this.#spawn(name, script, args, output);
    void p.exited.then((status) => {
      if (!p.stopping) this.#crash(new ChildExitError(name, status, p.lastLines(), p.logFile));
    });
    return p;
  }

  /** A one-shot script: resolves once it exits 0, rejects with ChildExitError otherwise. */
  async run(
    name: string,
    script: string,
    args: string[] = [],
    output = this.output,
  ): Promise<PipelineProcess> {
    const p = this.#spawn(name, script, args, output);
    const status = await p.exited;
    if (status.code !== 0) throw new ChildExitError(name, status, p.lastLines(), p.logFile);
    return p;
  }

  /** `workers/main.ts`, once it polls its task queue (which also means the Schedule is registered). */
  async startWorker(): Promise<PipelineProcess> {
    const p = this.start('worker', 'workers/main.ts');
    const { client, connection } = await connectTemporal(this.config);
    try {
      // The SDK's default worker identity is `<pid>@<host>`: a poller from an earlier process does not count.
      const polling = async () => {
        const { pollers } = await client.workflowService.describeTaskQueue({
          namespace: this.config.TEMPORAL_NAMESPACE,
          taskQueue: { name: this.config.PIPELINE_TASK_QUEUE },
          taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        });
        return pollers.some((poller) => poller.identity?.startsWith(`${p.pid}@`));
      };
      await untilReady(p, 'polling its task queue', polling, WORKER_READY_TIMEOUT_MS);
    } finally {
      await connection.close();
    }
    return p;
  }

  /** `api/server.ts`, once its /readyz answers 200 (Kafka reachable, topics there). */
  async startApi(): Promise<PipelineProcess> {
    const p = this.start('api', 'api/server.ts');
    const url = `http://127.0.0.1:${this.config.API_PORT}/readyz`;
    const ready = async () => (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;
    await untilReady(p, `ready (${url})`, ready, API_READY_TIMEOUT_MS);
    return p;
  }

  /** Stops the children still running, the last started first (emulator, API, then worker). */
  async stopAll(
    timeoutMs = STOP_TIMEOUT_MS,
    onStopped?: (result: StopResult) => void,
  ): Promise<StopResult[]> {
    const results: StopResult[] = [];
    for (const p of [...this.#processes].reverse()) {
      if (p.status) continue;
      const result = await p.stop(timeoutMs);
      onStopped?.(result);
      results.push(result);
    }
    return results;
  }

  killAll(): void {
    this.#processes.forEach((p) => p.kill());
  }

  #spawn(name: string, script: string, args: string[], output: Output): PipelineProcess {
    // Node itself rather than npx or tsx's CLI, so the signals this group sends reach the process
    // that handles them. A process group of its own: a Ctrl-C at the terminal reaches only the
    // parent, which then stops its children in order.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script), ...args], {
      cwd: ROOT,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const p = new PipelineProcess(name, child, output);
    this.#processes.push(p);
    return p;
  }
}

async function untilReady(
  p: PipelineProcess,
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (p.status) throw new ChildExitError(p.name, p.status, p.lastLines(), p.logFile);
    if (Date.now() > deadline) {
      const where = p.logFile ? ` (see ${p.logFile})` : '';
      throw new Error(`${p.name} is not ${what} after ${timeoutMs / 1000} s${where}`);
    }
    await sleep(250);
  }
}

/** Seeds the source tables the emulator replays (`npm run seed`) unless they hold a data set. */
export async function ensureSourceSeeded(group: ProcessGroup, output = group.output): Promise<boolean> {
  const pool = createPool(group.config);
  try {
    if (await readSeedInfo(pool)) return false;
  } finally {
    await pool.end();
  }
  await group.run('seed', 'emulator/seed.ts', [], output);
  return true;
}

/** Starts the three streams (`npm run stream:start`; a running one is kept); returns their workflow ids. */
export async function startStreams(config: Config): Promise<string[]> {
  const { client, connection } = await connectTemporal(config);
  const kafka = lazyAdmin(createKafka(config));
  try {
    const ids: string[] = [];
    for (const entity of ENTITIES)
      ids.push(...(await startStreamShards(client, config, kafka.admin, entity)));
    return ids;
  } finally {
    await kafka.close();
    await connection.close();
  }
}

/** The summary an emulator run with `--json` prints last, once it has stopped. */
export function emulatorSummary(emulator: PipelineProcess): Summary | undefined {
  const line = emulator
    .lastLines()
    .reverse()
    .find((l) => l.startsWith('{') && l.includes('"stoppedBy"'));
  return line === undefined ? undefined : (JSON.parse(line) as Summary);
}
