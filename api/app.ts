// The Express app, apart from the process that serves it (api/server.ts): tests build it with a
// fake producer or with the real one.
import express, { type Express, type Router } from 'express';
import { requireReadKey, type ApiAccess } from './auth.ts';
import { createDashboardRouter } from './dashboard/router.ts';
import type { Logger } from '../infra/logger.ts';
import { errorHandler, notFound } from './error-handler.ts';
import { ingestRouter } from './ingest-routes.ts';
import type { ApiMetrics } from './metrics.ts';
import { opsRouter } from './ops-routes.ts';
import type { RateLimit } from './rate-limit.ts';
import type { RecordProducer } from './producer.ts';
import type { Readiness } from './readiness.ts';
import { requestLog } from './request-log.ts';

export interface AppDeps {
  producer: RecordProducer;
  readiness: Readiness;
  metrics: ApiMetrics;
  log: Logger;
  /** The keys the endpoints require; `undefined`: API_AUTH=off. */
  access: ApiAccess | undefined;
  /** Per write key on the write endpoints; `undefined`: no limit. */
  rateLimit?: RateLimit | undefined;
  topicPrefix: string;
  /** The read-only serving endpoints (api/serving/); with them, the dashboard is served at `/`. */
  serving?: Router;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // No CORS headers at all: browsers keep other sites' pages from calling the API.
  app.use((_req, res, next) => {
    res.set('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.use(requestLog(deps.log, deps.metrics));
  // The write endpoints first: they carry the load.
  app.use(ingestRouter(deps));
  app.use(opsRouter(deps));
  if (deps.serving) {
    // The data the dashboard shows; its page and assets stay open (they hold none).
    const readKey = requireReadKey(deps.access);
    app.use(['/v1/analytics', '/v1/pipeline'], readKey);
    app.use(deps.serving);
    app.use(createDashboardRouter());
  }
  app.use(notFound());
  app.use(errorHandler(deps.log, deps.metrics));
  return app;
}
