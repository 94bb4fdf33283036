// Who may call what. Write endpoints need a write key; read endpoints (analytics, pipeline status,
// metrics) need a read or write key when NODE_ENV=production or read keys are configured, and are
// open otherwise (a developer's machine). Keys have names: the name, never the key, goes to logs and
// metrics. Every key is compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { ConfigError, LOCAL_API_KEY, type Config, type NamedKey } from '../infra/config.ts';
import { UnauthorizedError } from './errors.ts';

export interface ApiAccess {
  write: NamedKey[];
  read: NamedKey[];
  /** false: the read endpoints are open (locally, without read keys). */
  readsNeedKey: boolean;
}

type AccessConfig = Pick<Config, 'NODE_ENV' | 'API_KEY' | 'API_KEYS' | 'API_READ_KEYS' | 'API_AUTH'>;

/**
 * The keys the API requires, `undefined` when API_AUTH=off. Throws ConfigError, naming the variable,
 * for a configuration that would leave the API open without anyone asking for it: no write key (an
 * empty API_KEY) anywhere, the local stack's published key with NODE_ENV=production.
 */
export function apiAccess(config: AccessConfig): ApiAccess | undefined {
  if (config.API_AUTH === 'off') return undefined;
  const write =
    config.API_KEYS ?? (config.API_KEY === undefined ? [] : [{ name: 'default', key: config.API_KEY }]);
  if (write.length === 0) {
    throw new ConfigError(
      'API_KEY is empty: the API would take writes from anyone. Set a key (at least 8 characters), or API_AUTH=off to run without authentication on purpose',
    );
  }
  const read = config.API_READ_KEYS ?? [];
  const production = config.NODE_ENV === 'production';
  if (production) {
    const published = [...write, ...read].find((k) => k.key === LOCAL_API_KEY);
    if (published) {
      const variable = config.API_KEYS
        ? read.includes(published)
          ? 'API_READ_KEYS'
          : 'API_KEYS'
        : 'API_KEY';
      throw new ConfigError(
        `${variable} holds the local stack's published key (${LOCAL_API_KEY}), refused with NODE_ENV=production: set a key of your own`,
      );
    }
  }
  return { write, read, readsNeedKey: production || config.API_READ_KEYS !== undefined };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The name of the key `given` is, if any: every key is compared, in constant time, whatever matches. */
function keyNamer(keys: NamedKey[]): (given: string | undefined) => string | undefined {
  const digests = keys.map((k) => ({ name: k.name, digest: digest(k.key) }));
  return (given) => {
    if (given === undefined) return undefined;
    const d = digest(given);
    let name: string | undefined;
    for (const k of digests) if (timingSafeEqual(d, k.digest) && name === undefined) name = k.name;
    return name;
  };
}

/** The name of the key that authorised the request, for its log line and the metrics. */
export function keyNameOf(res: Response): string | undefined {
  return (res.locals as { keyName?: string }).keyName;
}

function requireOneOf(keys: NamedKey[]): RequestHandler {
  const nameOf = keyNamer(keys);
  return (req, res, next) => {
    const name = nameOf(req.get('x-api-key'));
    if (name === undefined) return next(new UnauthorizedError());
    (res.locals as { keyName?: string }).keyName = name;
    next();
  };
}

const open: RequestHandler = (_req, _res, next) => next();

/** For the write endpoints: a write key, unless API_AUTH=off. */
export function requireWriteKey(access: ApiAccess | undefined): RequestHandler {
  return access === undefined ? open : requireOneOf(access.write);
}

/** For the read endpoints: a read or a write key where reads need one. */
export function requireReadKey(access: ApiAccess | undefined): RequestHandler {
  return access === undefined || !access.readsNeedKey
    ? open
    : requireOneOf([...access.read, ...access.write]);
}
