// /readyz: is Kafka reachable (and are the topics there)? Probed at most once per `ttlMs`, never
// two probes at once, each given `timeoutMs`: a scrape storm or a hung broker cannot pile probes up.
import type { Admin } from 'kafkajs';

export interface ReadinessReport {
  ready: boolean;
  kafka: 'ok' | 'topics_missing' | 'unreachable' | 'timeout';
  shuttingDown: boolean;
}

/** Resolves to what the probe found; a rejection means Kafka did not answer. */
export type KafkaProbe = () => Promise<'ok' | 'topics_missing'>;

export interface Readiness {
  check(): Promise<ReadinessReport>;
  markShuttingDown(): void;
}

/** Lists the topics rather than fetching their metadata: a metadata request for a missing topic
 *  creates it on a cluster that allows auto-creation. */
export function kafkaProbe(admin: Admin, topics: string[]): KafkaProbe {
  return async () => {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    return topics.every((t) => existing.has(t)) ? 'ok' : 'topics_missing';
  };
}

export function createReadiness(probe: KafkaProbe, opts: { timeoutMs: number; ttlMs: number }): Readiness {
  let last: { kafka: ReadinessReport['kafka']; at: number } | undefined;
  let pending: Promise<void> | undefined;
  let shuttingDown = false;

  const run = (): Promise<void> => {
    const attempt = probe().then(
      (kafka) => ({ kafka }),
      () => ({ kafka: 'unreachable' as const }),
    );
    const settled = attempt.then((r) => {
      last = { ...r, at: Date.now() };
    });
    pending = settled.finally(() => (pending = undefined));
    const timeout = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        last = { kafka: 'timeout', at: Date.now() };
        resolve();
      }, opts.timeoutMs);
      void settled.finally(() => clearTimeout(timer));
    });
    return Promise.race([settled, timeout]);
  };

  return {
    async check() {
      const fresh = last !== undefined && Date.now() - last.at < opts.ttlMs;
      if (!fresh && !pending) await run();
      const kafka = last?.kafka ?? 'timeout';
      return { ready: kafka === 'ok' && !shuttingDown, kafka, shuttingDown };
    },
    markShuttingDown() {
      shuttingDown = true;
    },
  };
}
