// The primary's side of GET /metrics with API_PROCESSES > 1. Whichever worker serves the request asks
// the primary; the primary collects the registry of every listening worker and merges them with
// prom-client's AggregatorRegistry.aggregate: counters and histogram buckets are summed, gauges
// follow their `aggregator` (sum unless the metric says otherwise; prom-client's default metrics
// set their own, e.g. the start time omitted, the event-loop lag averaged). All or nothing: a
// worker that does not answer in time fails the scrape (503) rather than make a counter go down.
import type { Cluster, Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import {
  isClusterMessage,
  type ClusterMessage,
  type MetricsFormat,
  type MetricsJson,
} from './cluster-messages.ts';

interface Collection {
  received(worker: Worker, metrics: MetricsJson): void;
  /** The worker exited: its numbers left with it. */
  gone(worker: Worker): void;
}

export function answerMetricsRequests(cluster: Cluster, timeoutMs: number): void {
  // A worker still starting has no registry to send yet: only those that listen are asked.
  const listening = new Set<Worker>();
  const collections = new Map<number, Collection>();
  let nextId = 0;

  const collect = (): Promise<MetricsJson[]> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const asked = [...listening].filter((w) => w.isConnected());
      const waiting = new Set(asked);
      const results: MetricsJson[] = [];
      const finish = (err?: Error) => {
        clearTimeout(timer);
        collections.delete(id);
        if (err) reject(err);
        else resolve(results);
      };
      const timer = setTimeout(
        () =>
          finish(
            new Error(
              `${waiting.size} of ${asked.length} API processes sent no metrics within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      const collection: Collection = {
        received(worker, metrics) {
          if (!waiting.delete(worker)) return;
          results.push(metrics);
          if (waiting.size === 0) finish();
        },
        gone(worker) {
          if (waiting.delete(worker) && waiting.size === 0) finish();
        },
      };
      collections.set(id, collection);
      for (const w of asked) {
        w.send({ kind: 'api:collect', id } satisfies ClusterMessage, undefined, (err) => {
          if (err) collection.gone(w);
        });
      }
      if (waiting.size === 0) finish();
    });

  const answer = async (worker: Worker, id: number, format: MetricsFormat): Promise<void> => {
    let reply: ClusterMessage;
    try {
      const merged = AggregatorRegistry.aggregate(await collect());
      const body = format === 'json' ? await merged.getMetricsAsJSON() : await merged.metrics();
      reply = { kind: 'api:metrics-answer', id, ok: true, body };
    } catch (err) {
      reply = {
        kind: 'api:metrics-answer',
        id,
        ok: false,
        error: err instanceof Error ? err.message : String(err),
      };
    }
    if (worker.isConnected()) worker.send(reply, undefined, () => {}); // gone: nobody waits
  };

  const forget = (worker: Worker) => {
    listening.delete(worker);
    for (const c of collections.values()) c.gone(worker);
  };
  cluster.on('listening', (worker) => listening.add(worker));
  cluster.on('disconnect', forget);
  cluster.on('exit', forget);
  cluster.on('message', (worker, message: unknown) => {
    if (!isClusterMessage(message)) return;
    if (message.kind === 'api:collected') collections.get(message.id)?.received(worker, message.metrics);
    else if (message.kind === 'api:metrics') void answer(worker, message.id, message.format);
  });
}
