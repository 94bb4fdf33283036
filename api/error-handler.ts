// The last middleware: known errors become their status and a JSON body naming the problem;
// anything else is logged in full and answered with a generic 500 (its message is never echoed).
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../infra/logger.ts';
import { ApiError, MethodNotAllowedError, NotFoundError, ValidationError } from './errors.ts';
import type { ApiMetrics } from './metrics.ts';
import { locals } from './request-log.ts';

/** http-errors marks client errors whose message is safe to show with `expose`. */
function exposedClientError(err: unknown): { status: number; message: string } | undefined {
  const { status, expose, message } = err as { status?: unknown; expose?: unknown; message?: unknown };
  if (
    typeof status === 'number' &&
    status >= 400 &&
    status < 500 &&
    expose === true &&
    typeof message === 'string'
  ) {
    return { status, message };
  }
  return undefined;
}

export function notFound(): RequestHandler {
  return (req, _res, next) => next(new NotFoundError(`no endpoint ${req.method} ${req.path.slice(0, 200)}`));
}

export function methodNotAllowed(allowed: string[]): RequestHandler {
  return (_req, _res, next) => next(new MethodNotAllowedError(allowed));
}

export function errorHandler(log: Logger, metrics: ApiMetrics): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (res.headersSent) return next(err);
    const stamp = locals(res);
    if (err instanceof ApiError) {
      stamp.errorCode = err.code;
      metrics.rejections.inc({ reason: err.code });
      if (err.retryAfterSeconds !== undefined) res.set('Retry-After', String(err.retryAfterSeconds));
      if (err instanceof MethodNotAllowedError) res.set('Allow', err.allowed.join(', '));
      const issues = err instanceof ValidationError ? { issues: err.issues } : {};
      res.status(err.status).json({ error: err.code, message: err.message, ...issues });
      return;
    }
    const client = exposedClientError(err);
    if (client) {
      stamp.errorCode = 'bad_request';
      metrics.rejections.inc({ reason: 'bad_request' });
      res.status(client.status).json({ error: 'bad_request', message: client.message });
      return;
    }
    stamp.errorCode = 'internal_error';
    metrics.rejections.inc({ reason: 'internal_error' });
    log.error({ err, reqId: stamp.requestId }, 'unexpected error');
    res
      .status(500)
      .json({ error: 'internal_error', message: 'internal server error', requestId: stamp.requestId });
  };
}
