// JSON bodies for the write endpoints: 415 unless the body is JSON, 413 over the limit, 400 when
// it does not parse. body-parser's errors are narrowed here, at the edge, into api/errors.ts.
import express, { type RequestHandler } from 'express';
import { MalformedBodyError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.ts';

function narrow(err: unknown, limitBytes: number): unknown {
  const type = (err as { type?: unknown }).type;
  switch (type) {
    case 'entity.too.large':
      return new PayloadTooLargeError(limitBytes);
    case 'entity.parse.failed':
      return new MalformedBodyError(`the body is not valid JSON: ${(err as Error).message}`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError(undefined);
    case 'request.aborted':
    case 'request.size.invalid':
      return new MalformedBodyError('the body ended before its Content-Length');
    default:
      return err;
  }
}

export function jsonBody(limitBytes: number): RequestHandler[] {
  const parse = express.json({ limit: limitBytes, strict: true, type: () => true });
  return [
    (req, _res, next) => {
      next(req.is('application/json') ? undefined : new UnsupportedMediaTypeError(req.get('content-type')));
    },
    (req, res, next) => {
      parse(req, res, (err?: unknown) => next(err === undefined ? undefined : narrow(err, limitBytes)));
    },
  ];
}
