// The batch layer's CPU-heavy work (exporting a Kafka partition, cleaning a raw file) runs in worker
// threads, so that one worker process keeps every core busy: a Node process runs JavaScript on one
// thread, and the export and the clean are JavaScript-bound. The activity stays on the main thread:
// it starts the task, heartbeats with the task's progress, forwards cancellation, and turns the
// task's error back into the failure the thread raised (type and retryability kept).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ApplicationFailure } from '@temporalio/activity';
import type { Config } from '../../infra/config.ts';
import type { TaskInput, TaskName, TaskOutput } from './thread-tasks.ts';

/** An error as it crosses from a thread: enough to rebuild the failure Temporal should see. */
export interface ThreadError {
  name: string;
  message: string;
  stack?: string;
  /** An ApplicationFailure's type and retryability. */
  type?: string;
  nonRetryable?: boolean;
}

export type ThreadRequest = { id: number; task: TaskName; input: unknown } | { id: number; cancel: true };
export type ThreadReply =
  { id: number; progress: unknown } | { id: number; result: unknown } | { id: number; error: ThreadError };

export function toThreadError(err: unknown): ThreadError {
  if (err instanceof ApplicationFailure) {
    return {
      name: err.name,
      message: err.message,
      stack: err.stack,
      type: err.type ?? undefined,
      nonRetryable: err.nonRetryable ?? undefined,
    };
  }
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: 'Error', message: String(err) };
}

export function fromThreadError(e: ThreadError): Error {
  if (e.type !== undefined) {
    const failure = ApplicationFailure.create({
      message: e.message,
      type: e.type,
      nonRetryable: e.nonRetryable ?? false,
    });
    if (e.stack) failure.stack = e.stack;
    return failure;
  }
  const err = new Error(e.message);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  onProgress?: (progress: unknown) => void;
}

interface Thread {
  worker: Worker;
  running: Set<number>;
}

export interface RunOptions<P> {
  onProgress?: (progress: P) => void;
  signal?: AbortSignal;
}

const BOOT = new URL('./thread-boot.mjs', import.meta.url);

/** A fixed number of threads, started on first use, each running any number of tasks at once. */
export class BatchThreads {
  private readonly threads: Thread[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  private readonly config: Config;
  readonly size: number;
  constructor(config: Config, size: number) {
    this.config = config;
    this.size = size;
  }

  run<N extends TaskName>(
    task: N,
    input: TaskInput<N>,
    { onProgress, signal }: RunOptions<unknown> = {},
  ): Promise<TaskOutput<N>> {
    signal?.throwIfAborted();
    const thread = this.leastBusy();
    const id = this.nextId++;
    const cancel = () => thread.worker.postMessage({ id, cancel: true } satisfies ThreadRequest);
    return new Promise<TaskOutput<N>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress });
      thread.running.add(id);
      signal?.addEventListener('abort', cancel, { once: true });
      thread.worker.postMessage({ id, task, input } satisfies ThreadRequest);
    }).finally(() => {
      signal?.removeEventListener('abort', cancel);
      thread.running.delete(id);
      this.pending.delete(id);
    });
  }

  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  private leastBusy(): Thread {
    if (this.threads.length < this.size) return this.start();
    return this.threads.reduce((a, b) => (b.running.size < a.running.size ? b : a));
  }

  private start(): Thread {
    const worker = new Worker(BOOT, {
      workerData: { module: new URL('./thread-main.ts', import.meta.url).href, config: this.config },
    });
    // The threads never keep the process alive: a worker process exits when its Temporal workers do.
    worker.unref();
    const thread: Thread = { worker, running: new Set() };
    worker.on('message', (reply: ThreadReply) => {
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      if ('progress' in reply) pending.onProgress?.(reply.progress);
      else if ('result' in reply) pending.resolve(reply.result);
      else pending.reject(fromThreadError(reply.error));
    });
    const lost = (err: Error) => {
      const at = this.threads.indexOf(thread);
      if (at >= 0) this.threads.splice(at, 1);
      for (const id of thread.running) this.pending.get(id)?.reject(err);
    };
    worker.on('error', (err) => lost(new Error(`a batch thread failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => lost(new Error(`a batch thread exited (code ${code})`)));
    this.threads.push(thread);
    return thread;
  }
}

const pools = new Map<string, BatchThreads>();

/**
 * This process's threads for a configuration (tests run several configurations in one process).
 * BATCH_THREADS of them, by default as many as the machine has cores.
 */
export function batchThreads(config: Config): BatchThreads {
  const key = JSON.stringify(config);
  let pool = pools.get(key);
  if (!pool) {
    pool = new BatchThreads(config, config.BATCH_THREADS ?? availableParallelism());
    pools.set(key, pool);
  }
  return pool;
}

/** Stops every batch thread of this process (a worker's shutdown): they hold clients of their own. */
export async function closeBatchThreads(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((pool) => pool.close()));
}
