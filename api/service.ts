// Wires the ingest API to Kafka: client, sender, coalescing producer, readiness, metrics and app.
// Used by api/server.ts, the integration tests and the benchmark, so they all run the real thing.
import type { Server } from 'node:http';
import type { Express } from 'express';
import kafkajs, { type Admin } from 'kafkajs';
import type { Config } from '../infra/config.ts';
import type { Logger } from '../infra/logger.ts';
import { ENTITIES, entityTopic } from '../domain/wire.ts';
import { createApp } from './app.ts';
import { apiAccess } from './auth.ts';
import type { ClusterPeer } from './cluster-worker.ts';
import { closeServer, listen } from './http-server.ts';
import { createKafka } from '../infra/kafka.ts';
import { createKafkaSender } from './kafka-sender.ts';
import { DRAIN_TIMEOUT_MS, KAFKA_ACK_TIMEOUT_MS, PRODUCER_TUNING, READINESS } from './limits.ts';
import { createMetrics, RECORDS_PRODUCED, totalOf, type ApiMetrics } from './metrics.ts';
import { createCoalescingProducer, type CoalescerOptions, type RecordProducer } from './producer.ts';
import { shareOfLimit } from './rate-limit.ts';
import { createReadiness, kafkaProbe } from './readiness.ts';
import { createServing, type ServingConfig } from './serving/index.ts';

const { ConfigResourceTypes } = kafkajs;

export type IngestConfig = Pick<
  Config,
  | 'KAFKA_BROKERS'
  | 'KAFKA_CLIENT_ID'
  | 'KAFKA_TOPIC_PREFIX'
  | 'API_KEY'
  | 'API_KEYS'
  | 'API_READ_KEYS'
  | 'API_AUTH'
  | 'API_RATE_LIMIT'
  | 'API_RATE_BURST'
  | 'API_CORS_ORIGINS'
  | 'NODE_ENV'
>;

export interface IngestService {
  app: Express;
  producer: RecordProducer;
  metrics: ApiMetrics;
  /** Starts serving and connects to Kafka in the background (the API starts even if Kafka is down). */
  listen(port: number, host?: string): Promise<Server>;
  /** Graceful stop: not ready, no new connections, in-flight requests finish, queue flushed, disconnect. */
  close(): Promise<void>;
}

export interface ServiceOptions {
  tuning?: Partial<CoalescerOptions>;
  /** Also serve the analytics and pipeline endpoints and the dashboard (reads PostgreSQL, Temporal). */
  serving?: ServingConfig;
  /** A worker of the API's cluster (API_PROCESSES > 1, api/server.ts). */
  cluster?: ClusterPeer | undefined;
}

/** The smallest max.message.bytes of the entity topics: what one partition's batch may hold. */
async function maxMessageBytes(admin: Admin, topics: string[]): Promise<number | undefined> {
  await admin.connect();
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({
      type: ConfigResourceTypes.TOPIC,
      name,
      configNames: ['max.message.bytes'],
    })),
  });
  const limits = resources.map((r) => Number(r.configEntries[0]?.configValue)).filter(Number.isFinite);
  return limits.length ? Math.min(...limits) : undefined;
}

export function createIngestService(
  config: IngestConfig,
  log: Logger,
  { tuning = {}, serving: servingConfig, cluster }: ServiceOptions = {},
): IngestService {
  const access = apiAccess(config); // first: a refused configuration starts nothing
  const kafka = createKafka(config, log, 'ingest');
  const admin = kafka.admin();
  const topics = ENTITIES.map((e) => entityTopic(config.KAFKA_TOPIC_PREFIX, e));
  const sender = createKafkaSender(kafka, log, {
    ackTimeoutMs: KAFKA_ACK_TIMEOUT_MS,
    retryAfterSeconds: 1,
    maxMessageBytes: () => maxMessageBytes(admin, topics),
  });
  const metrics = createMetrics();
  const producer = createCoalescingProducer(sender.send, {
    ...PRODUCER_TUNING,
    ...tuning,
    onBatch: (outcome) => metrics.observeBatch(outcome),
  });
  metrics.watchProducer(() => producer.stats());
  cluster?.collectFrom(metrics.registry);
  const readiness = createReadiness(kafkaProbe(admin, topics), READINESS);
  // The dashboard's ingest rate counts the records of every process of the cluster.
  const recordsProduced = cluster
    ? async () => totalOf(await cluster.metricsJson(), RECORDS_PRODUCED)
    : async () => totalOf([await metrics.recordsProduced.get()], RECORDS_PRODUCED);
  const serving = servingConfig && createServing(servingConfig, log, recordsProduced);
  const app = createApp({
    producer,
    readiness,
    metrics,
    log,
    access,
    rateLimit: shareOfLimit(
      { ratePerSecond: config.API_RATE_LIMIT, burst: config.API_RATE_BURST },
      cluster?.processes ?? 1,
    ),
    corsOrigins: config.API_CORS_ORIGINS,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    serving: serving?.router,
    cluster,
  });
  let server: Server | undefined;

  return {
    app,
    producer,
    metrics,
    async listen(port, host) {
      server = await listen(app, port, host);
      void sender.warmUp();
      return server;
    },
    async close() {
      readiness.markShuttingDown();
      if (server) await closeServer(server, DRAIN_TIMEOUT_MS);
      await producer.close();
      await sender.disconnect();
      await admin.disconnect();
      await serving?.close();
    },
  };
}
