// One log line and one metrics observation per request, and the request's id and arrival time
// (stamped on its Kafka messages). Bodies are never logged.
import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../infra/logger.ts';
import { keyNameOf } from './auth.ts';
import type { ApiMetrics } from './metrics.ts';
import type { RequestStamp } from './records.ts';

interface Locals extends RequestStamp {
  /** The error code of the response, for the log line. */
  errorCode?: string;
  records?: number;
}

export function locals(res: Response): Locals {
  return res.locals as Locals;
}

/** A client's own `x-request-id` is kept when it looks like an id; otherwise one is made. */
const REQUEST_ID = /^[\w.:-]{1,128}$/;

function routeOf(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  // Unmatched paths are not labels: a scan of random URLs must not explode the metric's series.
  return typeof path === 'string' ? path : 'unmatched';
}

export function requestLog(log: Logger, metrics: ApiMetrics): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const given = req.get('x-request-id');
    const requestId = given !== undefined && REQUEST_ID.test(given) ? given : randomUUID();
    Object.assign(res.locals, { requestId, receivedAt: Date.now() });
    res.setHeader('x-request-id', requestId);
    res.once('close', () => {
      const seconds = (performance.now() - started) / 1000;
      // 499: the client went away before the response was complete.
      const status = res.writableFinished ? res.statusCode : 499;
      const route = routeOf(req);
      metrics.requests.inc({ method: req.method, route, status });
      metrics.requestDuration.observe({ method: req.method, route }, seconds);
      const { errorCode, records } = locals(res);
      const key = keyNameOf(res);
      log.info(
        {
          reqId: requestId,
          method: req.method,
          path: req.path,
          route,
          status,
          ms: Math.round(seconds * 1e4) / 10,
          records,
          ...(key === undefined ? {} : { key }),
          error: errorCode,
        },
        'request',
      );
    });
    next();
  };
}
