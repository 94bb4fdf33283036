// Operational endpoints: liveness, readiness, metrics and the API's own description.
import { Router } from 'express';
import { methodNotAllowed } from './error-handler.ts';
import type { ApiMetrics } from './metrics.ts';
import { buildOpenApi } from './openapi.ts';
import { requireReadKey, type ApiAccess } from './auth.ts';
import type { Readiness } from './readiness.ts';

export interface OpsDeps {
  readiness: Readiness;
  metrics: ApiMetrics;
  /** `undefined`: API_AUTH=off, which /readyz shows. */
  access: ApiAccess | undefined;
}

const OPS_PATHS = ['/healthz', '/readyz', '/metrics', '/openapi.json'];

export function opsRouter({ readiness, metrics, access }: OpsDeps): Router {
  const auth = access === undefined ? 'off' : 'on';
  const router = Router();
  const openApi = buildOpenApi();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await readiness.check();
    if (!report.ready) res.set('Retry-After', '1');
    res
      .status(report.ready ? 200 : 503)
      .json({ status: report.ready ? 'ready' : 'not_ready', ...report, auth });
  });
  // Probes and the API's description stay open; the metrics are read data.
  router.get('/metrics', requireReadKey(access), async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  router.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  for (const path of OPS_PATHS) router.all(path, methodNotAllowed(['GET', 'HEAD']));
  return router;
}
