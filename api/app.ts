// The Express app, apart from the process that serves it (api/server.ts): tests build it with a
// fake producer or with the real one.
import express, { type Express, type Router } from 'express';
import { requireReadKey, type ApiAccess } from './auth.ts';
import type { ClusterView } from './cluster-worker.ts';
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
  /** Origins whose pages may call the API (CORS); none when absent. */
  corsOrigins?: string[];
  topicPrefix: string;
  /** The read-only serving endpoints (api/serving/); with them, the dashboard is served at `/`. */
  serving?: Router;
  /** API_PROCESSES > 1: /metrics answers for every process, /readyz says how many serve. */
  cluster?: ClusterView | undefined;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // CORS only for the configured origins: browsers keep every other site's pages from calling the API.
  const origins = new Set((deps.corsOrigins ?? []).map((o) => new URL(o).origin));
  app.use((req, res, next) => {
    res.set('X-Content-Type-Options', 'nosniff');
    const origin = req.get('origin');
    if (origin === undefined || !origins.has(origin)) return next();
    res.set({ 'Access-Control-Allow-Origin': origin, Vary: 'Origin' });
    if (req.method !== 'OPTIONS') return next();
    res
      .set({
        'Access-Control-Allow-Methods': 'GET, POST',
        'Access-Control-Allow-Headers': 'content-type, x-api-key, x-request-id',
        'Access-Control-Max-Age': '600',
      })
      .status(204)
      .end();
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
