// Boots a batch thread (threads.ts). Node.js 24 runs the thread's TypeScript itself (type stripping:
// the project's TypeScript is erasable-only, tsconfig `erasableSyntaxOnly`); an older Node does not,
// and a worker thread does not inherit the loader of the process that starts it, so there the thread
// registers tsx before it imports its module.
import process from 'node:process';
import { workerData } from 'node:worker_threads';

if (!process.features.typescript) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.module);
