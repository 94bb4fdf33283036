// The write endpoints: one per entity and the batch endpoint. A 202 is sent only once Kafka has
// acknowledged every record of the request.
import { Router, type Response } from 'express';
import { ENTITY } from '../domain/entities.ts';
import { ENTITIES, isEntity } from '../domain/wire.ts';
import { keyNameOf, requireWriteKey, type ApiAccess } from './auth.ts';
import { jsonBody } from './body.ts';
import { methodNotAllowed } from './error-handler.ts';
import { NotFoundError, RateLimitedError } from './errors.ts';
import { LIMITS } from './limits.ts';
import type { ApiMetrics } from './metrics.ts';
import type { RecordProducer } from './producer.ts';
import { createRateLimiter, type RateLimit } from './rate-limit.ts';
import { createRecordMapper } from './records.ts';
import { locals } from './request-log.ts';
import { BatchBody } from './schemas.ts';
import { validateBody } from './validate.ts';

export interface IngestDeps {
  producer: RecordProducer;
  metrics: ApiMetrics;
  /** `undefined`: API_AUTH=off. */
  access: ApiAccess | undefined;
  /** Per write key; `undefined`: no limit. */
  rateLimit?: RateLimit | undefined;
  topicPrefix: string;
}

export const WRITE_PATHS = [...ENTITIES.map((e) => `/v1/${e}`), '/v1/events'];

export function ingestRouter({ producer, metrics, access, rateLimit, topicPrefix }: IngestDeps): Router {
  const router = Router();
  const auth = requireWriteKey(access);
  const limiter = rateLimit && createRateLimiter(rateLimit);
  /** Throws RateLimitedError when the request's key is over its limit. */
  const spend = (res: Response, records: number) => {
    const key = keyNameOf(res) ?? 'none';
    const wait = limiter?.take(key, records) ?? 0;
    if (wait > 0) throw new RateLimitedError(key, wait);
  };
  const messagesFor = createRecordMapper(topicPrefix);

  for (const entity of ENTITIES) {
    const validate = validateBody(ENTITY[entity].raw);
    router.post(`/v1/${entity}`, auth, ...jsonBody(LIMITS.singleBodyBytes), validate, async (req, res) => {
      const stamp = locals(res);
      spend(res, 1);
      await producer.produce([messagesFor(stamp)(entity, req.body as object)]);
      metrics.recordsProduced.inc({ entity });
      metrics.recordsByKey.inc({ key: keyNameOf(res) ?? 'none' });
      stamp.records = 1;
      res.status(202).json({ accepted: 1 });
    });
  }

  const validateBatch = validateBody(BatchBody, { itemsAt: 'records' });
  router.post('/v1/events', auth, ...jsonBody(LIMITS.batchBodyBytes), validateBatch, async (req, res) => {
    const { records } = req.body as BatchBody;
    const stamp = locals(res);
    spend(res, records.length);
    // Validated as a whole above; here all of it goes in one acknowledged send, or none of it.
    const toMessage = messagesFor(stamp);
    await producer.produce(records.map((r) => toMessage(r.entity, r.data)));
    for (const entity of ENTITIES) {
      const n = records.reduce((count, r) => count + (r.entity === entity ? 1 : 0), 0);
      if (n > 0) metrics.recordsProduced.inc({ entity }, n);
    }
    metrics.recordsByKey.inc({ key: keyNameOf(res) ?? 'none' }, records.length);
    stamp.records = records.length;
    res.status(202).json({ accepted: records.length });
  });

  router.post('/v1/:entity', (req, _res, next) => {
    const name = String(req.params.entity).slice(0, 64);
    if (!isEntity(name))
      next(new NotFoundError(`unknown entity '${name}'; known: ${ENTITIES.join(', ')}, events`));
    else next();
  });
  for (const path of WRITE_PATHS) router.all(path, methodNotAllowed(['POST']));
  return router;
}
