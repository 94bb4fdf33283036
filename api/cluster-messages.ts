// What the API's primary and its workers (API_PROCESSES > 1) say to each other over the cluster's
// IPC channel. The primary sets serialization 'advanced' (structured clones), so metric values such
// as NaN cross it intact.
import type { MetricObjectWithValues, MetricValue } from 'prom-client';

/** One registry's metrics as prom-client's JSON (`registry.getMetricsAsJSON()`). */
export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

export type MetricsFormat = 'text' | 'json';

export type ClusterMessage =
  /** primary → worker: drain and exit, as on SIGTERM. */
  | { kind: 'api:drain' }
  /** worker → primary: every process's metrics, merged, please. */
  | { kind: 'api:metrics'; id: number; format: MetricsFormat }
  /** primary → the worker that asked. */
  | ({ kind: 'api:metrics-answer'; id: number } & (
      { ok: true; body: string | MetricsJson } | { ok: false; error: string }
    ))
  /** primary → every listening worker: send your registry. */
  | { kind: 'api:collect'; id: number }
  /** worker → primary: its registry, for the `api:collect` of the same id. */
  | { kind: 'api:collected'; id: number; metrics: MetricsJson };

/** Ours, not the cluster module's or a library's (they use other fields). */
export function isClusterMessage(message: unknown): message is ClusterMessage {
  const kind = (message as { kind?: unknown } | null)?.kind;
  return typeof kind === 'string' && kind.startsWith('api:');
}
