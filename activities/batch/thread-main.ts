// A batch thread (threads.ts): its own Kafka and S3 clients, and a loop that runs the tasks the
// main thread sends, several at once, answering with progress, a result or the error.
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../../infra/config.ts';
import { createKafka } from '../../infra/kafka.ts';
import { createS3 } from '../../infra/s3.ts';
import { TASKS, type ThreadClients } from './thread-tasks.ts';
import { toThreadError, type ThreadReply, type ThreadRequest } from './threads.ts';

const port = parentPort;
if (!port) throw new Error('thread-main.ts runs in a worker thread');
const config = (workerData as { config: Config }).config;
const clients: ThreadClients = {
  kafka: createKafka(config),
  bucket: { s3: createS3(config), name: config.S3_BUCKET },
  config,
};
const running = new Map<number, AbortController>();
const reply = (message: ThreadReply) => port.postMessage(message);

async function run(id: number, task: keyof typeof TASKS, input: unknown): Promise<void> {
  const controller = new AbortController();
  running.set(id, controller);
  try {
    const context = { progress: (progress: unknown) => reply({ id, progress }), signal: controller.signal };
    const result = await (TASKS[task] as (c: ThreadClients, i: unknown, x: typeof context) => unknown)(
      clients,
      input,
      context,
    );
    reply({ id, result });
  } catch (err) {
    reply({ id, error: toThreadError(err) });
  } finally {
    running.delete(id);
  }
}

port.on('message', (request: ThreadRequest) => {
  if ('cancel' in request) running.get(request.id)?.abort(new Error('the activity was cancelled'));
  else void run(request.id, request.task, request.input);
});
