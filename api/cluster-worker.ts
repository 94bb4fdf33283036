// A worker's side of the API's cluster (API_PROCESSES > 1): it sends its registry when the primary
// collects, asks the primary for every process's metrics merged (api/cluster-metrics.ts), and hears
// the primary's request to drain.
import cluster from 'node:cluster';
import type { Registry } from 'prom-client';
import {
  isClusterMessage,
  type ClusterMessage,
  type MetricsFormat,
  type MetricsJson,
} from './cluster-messages.ts';
import { MetricsUnavailableError } from './errors.ts';

/** What the endpoints need to know of the cluster. */
export interface ClusterView {
  /** API_PROCESSES: the processes serving the API on this machine. */
  processes: number;
  /** Every process's metrics, merged, in Prometheus's text format. */
  metrics(): Promise<string>;
  /** The same as prom-client's JSON. */
  metricsJson(): Promise<MetricsJson>;
}

export interface ClusterPeer extends ClusterView {
  /** The registry this process sends when the primary collects. */
  collectFrom(registry: Registry): void;
  /** Resolves when the primary asks this process to drain. */
  drainRequested: Promise<void>;
  /** Closes the channel to the primary once drained, so that the process can exit. */
  leave(): void;
}

export function joinCluster(processes: number, timeoutMs: number): ClusterPeer {
  // A message that cannot go (the channel closing) is dropped: the waiting side times out.
  const send = (message: ClusterMessage) => process.send?.(message, undefined, undefined, () => {});
  const waiting = new Map<
    number,
    (answer: Extract<ClusterMessage, { kind: 'api:metrics-answer' }>) => void
  >();
  let registry: Registry | undefined;
  let nextId = 0;
  let drain = () => {};
  const drainRequested = new Promise<void>((resolve) => (drain = resolve));

  process.on('message', (message: unknown) => {
    if (!isClusterMessage(message)) return;
    if (message.kind === 'api:drain') drain();
    else if (message.kind === 'api:metrics-answer') waiting.get(message.id)?.(message);
    else if (message.kind === 'api:collect' && registry) {
      const { id } = message;
      registry.getMetricsAsJSON().then(
        (metrics) => send({ kind: 'api:collected', id, metrics }),
        () => {}, // no answer: the primary's collection times out and the scrape is a 503
      );
    }
  });

  const ask = (format: MetricsFormat): Promise<string | MetricsJson> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(
          new MetricsUnavailableError(`the API's primary process did not answer within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      waiting.set(id, (answer) => {
        clearTimeout(timer);
        waiting.delete(id);
        if (answer.ok) resolve(answer.body);
        else reject(new MetricsUnavailableError(answer.error));
      });
      send({ kind: 'api:metrics', id, format });
    });

  // The primary answers in the format asked.
  return {
    processes,
    metrics: async () => (await ask('text')) as string,
    metricsJson: async () => (await ask('json')) as MetricsJson,
    collectFrom(r) {
      registry = r;
    },
    drainRequested,
    leave() {
      cluster.worker?.disconnect();
    },
  };
}
