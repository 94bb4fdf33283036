import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { UnauthorizedError } from './errors.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Requires `x-api-key` to equal `apiKey`; passes everything when no key is configured. */
export function requireApiKey(apiKey: string | undefined): RequestHandler {
  if (apiKey === undefined) return (_req, _res, next) => next();
  // Comparing fixed-length digests keeps the time independent of where, or whether, they differ.
  const expected = digest(apiKey);
  return (req, _res, next) => {
    const given = req.get('x-api-key');
    next(
      given !== undefined && timingSafeEqual(digest(given), expected) ? undefined : new UnauthorizedError(),
    );
  };
}
