// `npm run worker`: one pipeline worker process. Start more of them to scale out; SIGINT/SIGTERM
// drain it (running activities finish, then the process exits).
import { NativeConnection } from '@temporalio/worker';
import { loadConfigOrExit, type Config } from '../infra/config.ts';
import { createLogger, type Logger } from '../infra/logger.ts';
import { connectTemporal } from '../infra/temporal.ts';
import { localTaskQueue } from './batch-local-worker.ts';
import { ensureBatchSchedule } from './batch-schedule.ts';
import { openPipelineClients } from './clients.ts';
import { createProcessWorkers, streamActivities } from './pipeline-worker.ts';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config, 'worker');
  const clients = await openPipelineClients(config, log);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const localQueue = localTaskQueue(config.PIPELINE_TASK_QUEUE);
    // One instance on both workers: one micro-batch of a shard at a time in this process, whichever
    // queue it came by.
    const stream = streamActivities(clients, localQueue);
    const workers = await createProcessWorkers(
      config,
      clients,
      connection,
      config.PIPELINE_TASK_QUEUE,
      localQueue,
      stream,
    );
    await registerBatchSchedule(config, log);
    log.info(
      { taskQueue: config.PIPELINE_TASK_QUEUE, localQueue, namespace: config.TEMPORAL_NAMESPACE },
      'worker started',
    );
    await Promise.all(workers.map((w) => w.run()));
    log.info('worker drained');
  } finally {
    // After a failed start the workers still hold the connection and close() throws: the failure
    // that matters is the start's, so this one must not hide it.
    await connection.close().catch((err: unknown) => log.debug({ err }, 'Temporal connection not closed'));
    await clients.close();
  }
}

async function registerBatchSchedule(config: Config, log: Logger): Promise<void> {
  const { client, connection } = await connectTemporal(config);
  try {
    const scheduleId = config.BATCH_SCHEDULE_ID;
    const done = await ensureBatchSchedule(client, {
      scheduleId,
      taskQueue: config.PIPELINE_TASK_QUEUE,
      idPrefix: config.BATCH_ID_PREFIX,
    });
    log.info({ scheduleId, done }, 'batch schedule registered');
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
