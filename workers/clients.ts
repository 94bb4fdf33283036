// The clients one worker process shares between its activities, created once and closed together.
import type { S3Client } from '@aws-sdk/client-s3';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { closeBatchThreads } from '../activities/batch/threads.ts';
import { StreamReader } from '../activities/stream-reader.ts';
import { ENTITIES, entityTopic } from '../domain/wire.ts';
import type { Config } from '../infra/config.ts';
import { createPool, type Pool } from '../infra/db.ts';
import { createKafka } from '../infra/kafka.ts';
import type { Logger } from '../infra/logger.ts';
import { createS3 } from '../infra/s3.ts';

export interface PipelineClients {
  pool: Pool;
  kafka: Kafka;
  kafkaAdmin: Admin;
  /** Plain producer (acks from all in-sync replicas, bounded retries) for dead letters. */
  producer: Producer;
  /** This process's reader of the entity topics, for the speed layer's micro-batches. */
  streamReader: StreamReader;
  s3: S3Client;
  close(): Promise<void>;
}

export async function openPipelineClients(config: Config, log?: Logger): Promise<PipelineClients> {
  const pool = createPool(config, log);
  const kafka = createKafka(config, log);
  const kafkaAdmin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 5 } });
  const topics = ENTITIES.map((e) => entityTopic(config.KAFKA_TOPIC_PREFIX, e));
  const streamReader = new StreamReader(kafka, topics, config.KAFKA_CLIENT_ID);
  const s3 = createS3(config);
  const close = async () => {
    await Promise.allSettled([streamReader.stop(), producer.disconnect(), kafkaAdmin.disconnect()]);
    s3.destroy();
    await Promise.all([pool.end(), closeBatchThreads()]);
  };
  try {
    await Promise.all([kafkaAdmin.connect(), producer.connect(), streamReader.start()]);
  } catch (err) {
    await close();
    throw err;
  }
  return { pool, kafka, kafkaAdmin, producer, streamReader, s3, close };
}
