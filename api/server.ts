// `npm run api`: the ingest API process. SIGTERM/SIGINT drain it: it stops accepting, finishes the
// requests in flight, flushes the producer queue, disconnects and exits 0; a second signal exits 1.
// API_PROCESSES=N > 1: this process is the primary of N such processes (api/cluster-primary.ts) and
// each of them runs this file again as a worker of the cluster.
import cluster from 'node:cluster';
import { ConfigError, loadConfigOrExit, type Config } from '../infra/config.ts';
import { createLogger, type Logger } from '../infra/logger.ts';
import { apiAccess } from './auth.ts';
import { runPrimary } from './cluster-primary.ts';
import { joinCluster, type ClusterPeer } from './cluster-worker.ts';
import { CLUSTER } from './limits.ts';
import { createIngestService } from './service.ts';

/**
 * The first stop request: a signal, or the primary's drain request. In a cluster, SIGINT is left to
 * the primary: Ctrl-C reaches every process of the terminal's group, and the primary's drain request
 * must not count as a second signal.
 */
function stopRequested(peer: ClusterPeer | undefined): Promise<string> {
  const signals: NodeJS.Signals[] = peer ? ['SIGTERM'] : ['SIGTERM', 'SIGINT'];
  if (peer) process.on('SIGINT', () => {});
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      for (const s of signals) process.on(s, () => process.exit(1));
      resolve(signal);
    };
    for (const s of signals) process.once(s, onSignal);
    void peer?.drainRequested.then(() => resolve('drain requested by the primary'));
  });
}

async function serve(config: Config, log: Logger, peer?: ClusterPeer): Promise<void> {
  const service = createIngestService(config, log, { serving: config, cluster: peer });
  const stop = stopRequested(peer);
  await service.listen(config.API_PORT, config.API_HOST);
  if (config.API_AUTH === 'off') {
    log.warn('API_AUTH=off: the write endpoints take records from anyone who reaches the API');
  }
  log.info(
    {
      host: config.API_HOST,
      port: config.API_PORT,
      dashboard: `http://localhost:${config.API_PORT}/`,
      topicPrefix: config.KAFKA_TOPIC_PREFIX,
      auth: config.API_AUTH,
      processes: config.API_PROCESSES,
    },
    'API listening: ingest, serving endpoints and the dashboard',
  );
  const reason = await stop;
  log.info({ reason }, 'shutting down: draining requests and the producer queue');
  await service.close();
  log.info('stopped');
  peer?.leave();
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config, 'api');
  if (config.API_PROCESSES === 1) return serve(config, log);
  if (cluster.isWorker) {
    return serve(config, log, joinCluster(config.API_PROCESSES, CLUSTER.metricsTimeoutMs + 1_000));
  }
  apiAccess(config); // a refused configuration starts no worker
  process.exitCode = await runPrimary(config.API_PROCESSES, log.child({ role: 'primary' }));
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
