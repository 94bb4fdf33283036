// A pipeline worker in the test's process with clients of its own (its own Kafka reader and admin,
// so its own view of the topics' partitions), as one `npm run worker` process has: stopping it and
// starting another is what restarting a worker process does.
import type { Config } from '../../infra/config.ts';
import { createPipelineWorker } from '../../workers/pipeline-worker.ts';
import { openTestClients } from './clients.ts';

export interface InProcessWorker {
  /** Lets the worker finish what it runs, then closes its clients. */
  stop(): Promise<void>;
}

/** A worker polling `config.PIPELINE_TASK_QUEUE`, reading the topics of `config.KAFKA_TOPIC_PREFIX`. */
export async function startInProcessWorker(config: Config): Promise<InProcessWorker> {
  const { clients, connection, close } = await openTestClients(config);
  const worker = await createPipelineWorker(config, clients, connection, config.PIPELINE_TASK_QUEUE).catch(
    async (err: unknown) => {
      await close();
      throw err;
    },
  );
  const running = worker.run();
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        try {
          await running;
        } finally {
          await close();
        }
      })();
      return stopped;
    },
  };
}
