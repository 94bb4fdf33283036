// The clients a test opens to run real workers and workflows on the stack, opened in one call and
// closed in one: the worker's clients (PostgreSQL, Kafka, S3), the connection its workers poll with,
// and a Temporal client to start, signal and query workflows.
import type { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { closeBatchThreads } from '../../activities/batch/threads.ts';
import { StreamReader } from '../../activities/stream-reader.ts';
import type { Config } from '../../infra/config.ts';
import { createPool } from '../../infra/db.ts';
import { createKafka } from '../../infra/kafka.ts';
import { createS3 } from '../../infra/s3.ts';
import { connectTemporal } from '../../infra/temporal.ts';
import { openPipelineClients, type PipelineClients } from '../../workers/clients.ts';

export interface TestTemporal {
  /** For starting, signalling and querying workflows. */
  readonly client: Client;
  /** For the workers the test creates. */
  readonly connection: NativeConnection;
  /** Closes both connections. */
  close(): Promise<void>;
}

export interface TestClients extends TestTemporal {
  readonly clients: PipelineClients;
  /** Closes the Temporal connections, then the worker's clients. */
  close(): Promise<void>;
}

/** Temporal alone: for tests whose workers run mocked activities. */
export async function connectTestTemporal(config: Config): Promise<TestTemporal> {
  const temporal = await connectTemporal(config);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS }).catch(
    async (err: unknown) => {
      await temporal.connection.close();
      throw err;
    },
  );
  return {
    client: temporal.client,
    connection,
    close: () => closeInTurn([() => temporal.connection.close(), () => connection.close()]),
  };
}

/**
 * The worker's clients and Temporal. `streamReader: false` for a batch layer on the shared stack:
 * the speed layer's reader is never started (in a worker process it reads the real topics; next to a
 * batch harness it would read the harness's topics and compete with the batch layer).
 */
export async function openTestClients(
  config: Config,
  { streamReader = true }: { streamReader?: boolean } = {},
): Promise<TestClients> {
  const clients = streamReader ? await openPipelineClients(config) : await openBatchClients(config);
  const temporal = await connectTestTemporal(config).catch(async (err: unknown) => {
    await clients.close();
    throw err;
  });
  return {
    clients,
    client: temporal.client,
    connection: temporal.connection,
    close: () => closeInTurn([() => temporal.close(), () => clients.close()]),
  };
}

/** The worker's clients, except that the speed layer's reader is never started. */
async function openBatchClients(config: Config): Promise<PipelineClients> {
  const pool = createPool(config);
  const kafka = createKafka(config);
  const kafkaAdmin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const streamReader = new StreamReader(kafka, [], config.KAFKA_CLIENT_ID);
  const s3 = createS3(config);
  await Promise.all([kafkaAdmin.connect(), producer.connect()]);
  const close = async () => {
    await Promise.allSettled([producer.disconnect(), kafkaAdmin.disconnect()]);
    s3.destroy();
    await Promise.all([pool.end(), closeBatchThreads()]);
  };
  return { pool, kafka, kafkaAdmin, producer, streamReader, s3, close };
}

/** Runs every close, one after the other, even after one fails; then throws the first failure. */
async function closeInTurn(closes: (() => Promise<void>)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const close of closes) await close().catch((err: unknown) => failures.push(err));
  if (failures.length > 0) throw failures[0];
}
