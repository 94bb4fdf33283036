// API_PROCESSES > 1: the primary forks that many workers, each running the whole ingest service
// (api/server.ts), and does no request work itself: the cluster module hands incoming connections
// to the workers in turn. The primary answers the workers' metrics requests (api/cluster-metrics.ts)
// and replaces a worker that dies, waiting longer after each restart and giving up (exit 1) on a
// crash loop. SIGTERM/SIGINT: every worker drains as a lone API does, and the primary exits 0 once
// all have; a second signal kills them and exits 1.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../infra/logger.ts';
import type { ClusterMessage } from './cluster-messages.ts';
import { answerMetricsRequests } from './cluster-metrics.ts';
import { CLUSTER } from './limits.ts';

/** Resolves to the primary's exit code once every worker has exited. */
export function runPrimary(processes: number, log: Logger): Promise<number> {
  cluster.setupPrimary({ serialization: 'advanced' });
  answerMetricsRequests(cluster, CLUSTER.metricsTimeoutMs);
  const alive = new Set<Worker>();
  const listening = new Set<Worker>();
  const restarts: number[] = [];
  const maxRestarts = CLUSTER.restartsPerProcess * processes;
  const pendingForks = new Set<NodeJS.Timeout>();
  let announced = false;
  let stopping = false;
  let failed = false;

  return new Promise((resolve) => {
    const fork = () => alive.add(cluster.fork());
    const resolveWhenAllExited = () => {
      if (stopping && alive.size === 0) resolve(failed ? 1 : 0);
    };
    const stop = () => {
      stopping = true;
      for (const timer of pendingForks) clearTimeout(timer);
      for (const worker of alive) {
        // A worker that listens has its message handler; one still starting may not, and has
        // nothing to drain yet.
        if (listening.has(worker)) {
          // A channel already closing means the worker is on its way out.
          worker.send({ kind: 'api:drain' } satisfies ClusterMessage, undefined, () => {});
        } else worker.process.kill('SIGTERM');
      }
      resolveWhenAllExited();
    };

    cluster.on('listening', (worker) => {
      listening.add(worker);
      if (!announced && listening.size === processes) {
        announced = true;
        log.info({ processes, pids: [...listening].map((w) => w.process.pid) }, 'API processes listening');
      }
    });
    cluster.on('exit', (worker, code: number | null, signal: NodeJS.Signals | null) => {
      alive.delete(worker);
      listening.delete(worker);
      const exit = { pid: worker.process.pid, code, signal };
      if (stopping) {
        if (code !== 0 && code !== null) {
          failed = true;
          log.error(exit, 'an API process failed while draining');
        }
        return resolveWhenAllExited();
      }
      const now = Date.now();
      restarts.push(now);
      while (restarts[0]! <= now - CLUSTER.restartWindowMs) restarts.shift();
      if (restarts.length > maxRestarts) {
        failed = true;
        log.fatal(
          { ...exit, restarts: restarts.length - 1, windowMs: CLUSTER.restartWindowMs },
          `API processes keep dying (more than ${maxRestarts} restarts within ${CLUSTER.restartWindowMs / 1000} s): a crash loop, giving up`,
        );
        return stop();
      }
      const delayMs = Math.min(
        CLUSTER.restartDelayMs.max,
        CLUSTER.restartDelayMs.first * 2 ** (restarts.length - 1),
      );
      log.error({ ...exit, restartInMs: delayMs }, 'an API process exited unexpectedly; starting another');
      const timer = setTimeout(() => {
        pendingForks.delete(timer);
        fork();
      }, delayMs);
      pendingForks.add(timer);
    });

    const onSignal = (signal: NodeJS.Signals) => {
      const now = () => {
        for (const worker of alive) worker.process.kill('SIGKILL');
        process.exit(1);
      };
      process.on('SIGTERM', now);
      process.on('SIGINT', now);
      log.info({ signal, processes: alive.size }, 'shutting down: every API process drains');
      stop();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);

    for (let i = 0; i < processes; i++) fork();
  });
}
