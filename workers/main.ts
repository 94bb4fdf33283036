// `npm run worker`: one pipeline worker process. Start more of them to scale out; SIGINT/SIGTERM
// drain it (running activities finish, then the process exits).
import { NativeConnection } from '@temporalio/worker';
import { loadConfigOrExit } from '../infra/config.ts';
import { createPool } from '../infra/db.ts';
import { createKafka } from '../infra/kafka.ts';
import { createLogger } from '../infra/logger.ts';
import { createS3 } from '../infra/s3.ts';
import { TASK_QUEUES } from '../domain/wire.ts';
import { createPipelineWorker } from './pipeline-worker.ts';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config, 'worker');
  const pool = createPool(config, log);
  const kafkaAdmin = createKafka(config, log).admin();
  const s3 = createS3(config);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    await kafkaAdmin.connect();
    const worker = await createPipelineWorker(
      config,
      { pool, kafkaAdmin, s3 },
      connection,
      TASK_QUEUES.pipeline,
    );
    log.info({ taskQueue: TASK_QUEUES.pipeline, namespace: config.TEMPORAL_NAMESPACE }, 'worker started');
    await worker.run();
    log.info('worker drained');
  } finally {
    await connection.close();
    await kafkaAdmin.disconnect();
    s3.destroy();
    await pool.end();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
