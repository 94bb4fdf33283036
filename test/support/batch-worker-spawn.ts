// Starts test/support/batch-worker-process.ts (the workers of `npm run worker`, in a process of
// their own) for the tests and benches that need several worker processes or kill one.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const SCRIPT = path.join(import.meta.dirname, 'batch-worker-process.ts');

/** A worker process on `sharedQueue`, with `localQueue` its own; resolves once it polls. */
export function spawnBatchWorker(
  env: NodeJS.ProcessEnv,
  sharedQueue: string,
  localQueue: string,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, sharedQueue, localQueue], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve(child));
    child.once('exit', (code) =>
      reject(new Error(`the worker process ${localQueue} exited (${code}) before it was ready`)),
    );
  });
}
