// Boots a batch thread (threads.ts). A worker thread does not inherit the TypeScript loader of the
// process that starts it, so it registers tsx before it imports the thread's module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
