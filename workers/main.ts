// `npm run worker`: one pipeline worker process. Start more of them to scale out; SIGINT/SIGTERM
// drain it (running activities finish, then the process exits).
import { NativeConnection } from '@temporalio/worker';
import { loadConfigOrExit } from '../infra/config.ts';
import { createLogger } from '../infra/logger.ts';
import { openPipelineClients } from './clients.ts';
import { createPipelineWorker } from './pipeline-worker.ts';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config, 'worker');
  const clients = await openPipelineClients(config, log);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const worker = await createPipelineWorker(config, clients, connection, config.PIPELINE_TASK_QUEUE);
    log.info(
      { taskQueue: config.PIPELINE_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE },
      'worker started',
    );
    await worker.run();
    log.info('worker drained');
  } finally {
    await connection.close();
    await clients.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
