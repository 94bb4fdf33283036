import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ConfigError, LOCAL_API_KEY, type Config } from '../infra/config.ts';
import { UnauthorizedError } from './errors.ts';

/**
 * The key the write endpoints require, `undefined` when API_AUTH=off. Throws ConfigError, naming the
 * variable, for a configuration that would leave the API open without anyone asking for it: an empty
 * API_KEY anywhere, the local stack's published key with NODE_ENV=production.
 */
export function writeKey(config: Pick<Config, 'NODE_ENV' | 'API_KEY' | 'API_AUTH'>): string | undefined {
  if (config.API_AUTH === 'off') return undefined;
  if (config.API_KEY === undefined) {
    throw new ConfigError(
      'API_KEY is empty: the API would take writes from anyone. Set a key (at least 8 characters), or API_AUTH=off to run without authentication on purpose',
    );
  }
  if (config.NODE_ENV === 'production' && config.API_KEY === LOCAL_API_KEY) {
    throw new ConfigError(
      `API_KEY is the local stack's published default (${LOCAL_API_KEY}), refused with NODE_ENV=production: set a key of your own`,
    );
  }
  return config.API_KEY;
}

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
