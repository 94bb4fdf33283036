// `npm run api`: the ingest API process. SIGTERM/SIGINT drain it: it stops accepting, finishes the
// requests in flight, flushes the producer queue, disconnects and exits 0; a second signal exits 1.
import { ConfigError, loadConfigOrExit } from '../infra/config.ts';
import { createLogger } from '../infra/logger.ts';
import { createIngestService } from './service.ts';

function firstSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.on('SIGTERM', () => process.exit(1));
      process.on('SIGINT', () => process.exit(1));
      resolve(signal);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config, 'api');
  const service = createIngestService(config, log, { serving: config });
  const stop = firstSignal();
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
    },
    'API listening: ingest, serving endpoints and the dashboard',
  );
  const signal = await stop;
  log.info({ signal }, 'shutting down: draining requests and the producer queue');
  await service.close();
  log.info('stopped');
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
