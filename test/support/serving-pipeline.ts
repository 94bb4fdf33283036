// A whole pipeline of its own on the shared stack, for the serving tests: the batch harness's fresh
// topics, S3 key root, batch schemas and task queue, plus a fresh speed schema and stream ids, one
// real worker running both layers (its stream reader on the fresh topics), the three streams, and
// the ingest API serving the analytics endpoints over all of it.
import type { AddressInfo } from 'node:net';
import type { WorkflowHandle } from '@temporalio/client';
import { pino } from 'pino';
import { createIngestService, type IngestService } from '../../api/service.ts';
import { workerTaskQueue } from '../../domain/batch-keys.ts';
import { statusQuery, type StreamStatus } from '../../domain/stream-wire.ts';
import { ENTITIES, type Entity } from '../../domain/wire.ts';
import { loadConfig, type Config } from '../../infra/config.ts';
import { createPool } from '../../infra/db.ts';
import { createProcessWorkers } from '../../workers/pipeline-worker.ts';
import { startStream, streamInput } from '../../workers/streams.ts';
import type { stream } from '../../workflows/stream.ts';
import { createBatchHarness, type BatchHarness } from './batch-harness.ts';
import { openTestClients } from './clients.ts';
import { freshName } from './names.ts';
import { createSpeedSchema, dropSchema } from './stream-fixture.ts';
import { waitFor } from './wait.ts';

export const SERVING_API_KEY = 'serving-test-key-0123';

export interface ServingPipeline {
  readonly harness: BatchHarness;
  readonly config: Config;
  /** The API's base URL: ingest and serving endpoints. */
  readonly url: string;
  readonly streams: Record<Entity, WorkflowHandle<typeof stream>>;
  /** Until each stream has read `records[entity]` records and has no lag; returns their status. */
  waitForStreams(records: Record<Entity, number>, timeoutMs?: number): Promise<Record<Entity, StreamStatus>>;
  close(): Promise<void>;
}

export async function createServingPipeline(): Promise<ServingPipeline> {
  const shared = createPool(loadConfig());
  const speedSchema = await createSpeedSchema(shared);
  const name = freshName('serving-test');
  const cleanUps: (() => Promise<unknown>)[] = [
    async () => {
      await dropSchema(shared, speedSchema);
      await shared.end();
    },
  ];
  const close = async () => {
    for (const cleanUp of cleanUps.reverse()) await cleanUp().catch(() => undefined);
  };
  try {
    const harness = await createBatchHarness({
      LOG_LEVEL: 'warn',
      STREAM_SCHEMA: speedSchema,
      STREAM_ID_PREFIX: `${name}-`,
      BATCH_SCHEDULE_ID: `${name}-batch-daily`,
      BATCH_ID_PREFIX: `${name}-`,
      // Short idle waits: the test waits for the streams several times.
      STREAM_MAX_WAIT_MS: '200',
      API_KEY: SERVING_API_KEY,
    });
    cleanUps.push(() => harness.close());
    const { config } = harness;

    // The harness's own clients never read the topics; a worker running the streams needs a reader.
    const opened = await openTestClients(config);
    cleanUps.push(() => opened.close());
    const { clients, connection } = opened;
    const localQueue = workerTaskQueue(config.PIPELINE_TASK_QUEUE, freshName('local'));
    const workers = await createProcessWorkers(
      config,
      clients,
      connection,
      config.PIPELINE_TASK_QUEUE,
      localQueue,
    );
    const running = workers.map((w) => w.run());
    cleanUps.push(async () => {
      for (const w of workers) w.shutdown();
      await Promise.allSettled(running);
    });

    const streams = {} as Record<Entity, WorkflowHandle<typeof stream>>;
    for (const entity of ENTITIES) {
      streams[entity] = await startStream(harness.client, config, streamInput(config, entity));
      cleanUps.push(() => streams[entity].terminate('serving test finished'));
    }

    const service: IngestService = createIngestService(config, pino({ level: 'silent' }), {
      serving: config,
    });
    const server = await service.listen(0, '127.0.0.1');
    cleanUps.push(() => service.close());

    return {
      harness,
      config,
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      streams,
      async waitForStreams(records, timeoutMs = 60_000) {
        const status = {} as Record<Entity, StreamStatus>;
        for (const entity of ENTITIES) {
          status[entity] = await waitFor(
            `${entity} stream to read ${records[entity]} records`,
            async () => {
              const s = await streams[entity].query(statusQuery);
              return s.totals.read >= records[entity] && s.lag === 0 ? s : undefined;
            },
            timeoutMs,
          );
        }
        return status;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
