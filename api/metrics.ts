// Prometheus metrics of one API process, on a registry of its own (tests build several apps). With
// API_PROCESSES > 1 the primary merges every process's registry (api/cluster-metrics.ts): the
// counters, histograms and the queue gauges below are summed, which is their meaning for the whole
// API; prom-client's default metrics aggregate as prom-client sets them.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MetricsJson } from './cluster-messages.ts';
import type { BatchOutcome, ProducerStats } from './producer.ts';

export interface ApiMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  requestDuration: Histogram<'method' | 'route'>;
  recordsProduced: Counter<'entity'>;
  recordsByKey: Counter<'key'>;
  rejections: Counter<'reason'>;
  observeBatch(outcome: BatchOutcome): void;
  /** Where the queue gauges read from at each scrape. */
  watchProducer(stats: () => ProducerStats): void;
}

export const RECORDS_PRODUCED = 'ingest_records_produced_total';

/** A metric's values summed over its labels. */
export function totalOf(metrics: MetricsJson, name: string): number {
  return (metrics.find((m) => m.name === name)?.values ?? []).reduce((n, v) => n + v.value, 0);
}

export function createMetrics(): ApiMetrics {
  let producerStats = (): ProducerStats => ({ queuedRecords: 0, inFlightRecords: 0, circuitOpen: false });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const requestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency, from the first byte read to the response sent',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const recordsProduced = new Counter({
    name: RECORDS_PRODUCED,
    help: 'Records acknowledged by Kafka, by entity',
    labelNames: ['entity'] as const,
    registers,
  });
  const recordsByKey = new Counter({
    name: 'ingest_records_by_key_total',
    help: 'Records acknowledged by Kafka, by the name of the write key that sent them ("none": API_AUTH=off)',
    labelNames: ['key'] as const,
    registers,
  });
  const rejections = new Counter({
    name: 'ingest_rejections_total',
    help: 'Requests answered with an error, by reason (the error code of the response)',
    labelNames: ['reason'] as const,
    registers,
  });
  const batchRecords = new Histogram({
    name: 'ingest_produce_batch_records',
    help: 'Records per Kafka send (one send carries the records of many requests)',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
    registers,
  });
  const batchDuration = new Histogram({
    name: 'ingest_produce_batch_duration_seconds',
    help: 'Time from a send to its acknowledgement (or failure), by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  new Gauge({
    name: 'api_processes',
    help: 'API processes whose metrics this answer holds (API_PROCESSES; 1 without a cluster)',
    registers,
  }).set(1);
  new Gauge({
    name: 'ingest_queue_records',
    help: 'Records waiting for a Kafka send',
    registers,
    collect() {
      this.set(producerStats().queuedRecords);
    },
  });
  new Gauge({
    name: 'ingest_in_flight_records',
    help: 'Records in the Kafka send in flight',
    registers,
    collect() {
      this.set(producerStats().inFlightRecords);
    },
  });

  return {
    registry,
    requests,
    requestDuration,
    recordsProduced,
    recordsByKey,
    rejections,
    observeBatch(outcome) {
      batchRecords.observe(outcome.records);
      batchDuration.observe({ outcome: outcome.ok ? 'ok' : 'failed' }, outcome.durationMs / 1000);
    },
    watchProducer(stats) {
      producerStats = stats;
    },
  };
}
