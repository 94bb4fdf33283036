// Operational endpoints: liveness, readiness, metrics and the API's own description.
import { Router } from 'express';
import type { ClusterView } from './cluster-worker.ts';
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
  /** API_PROCESSES > 1: the cluster this process serves in. */
  cluster?: ClusterView | undefined;
}

const OPS_PATHS = ['/healthz', '/readyz', '/metrics', '/openapi.json'];

export function opsRouter({ readiness, metrics, access, cluster }: OpsDeps): Router {
  const auth = access === undefined ? 'off' : 'on';
  const processes = cluster?.processes ?? 1;
  const router = Router();
  const openApi = buildOpenApi();

  // The pid tells which process of a cluster answered (the log lines carry it too).
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', pid: process.pid });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await readiness.check();
    if (!report.ready) res.set('Retry-After', '1');
    res
      .status(report.ready ? 200 : 503)
      .json({ status: report.ready ? 'ready' : 'not_ready', ...report, auth, processes });
  });
  // Probes and the API's description stay open; the metrics are read data. In a cluster, every
  // process's metrics merged, whichever process answers.
  router.get('/metrics', requireReadKey(access), async (_req, res) => {
    const text = cluster ? await cluster.metrics() : await metrics.registry.metrics();
    res.type(metrics.registry.contentType).send(text);
  });
  router.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  for (const path of OPS_PATHS) router.all(path, methodNotAllowed(['GET', 'HEAD']));
  return router;
}
