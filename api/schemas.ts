// Request bodies of the write endpoints, built from the entity registry's raw schemas.
import { z } from 'zod';
import { ENTITY, type RawRecords } from '../domain/entities.ts';
import { ENTITIES, type Entity } from '../domain/wire.ts';
import { LIMITS } from './limits.ts';

const [first, ...rest] = ENTITIES.map((entity) =>
  z.strictObject({ entity: z.literal(entity), data: ENTITY[entity].raw }),
);
/** `{ "entity": "pin", "data": { …a raw pin… } }`, one variant per entity. */
export const BatchItem = z.discriminatedUnion('entity', [first!, ...rest]);
export type BatchItem = { [E in Entity]: { entity: E; data: RawRecords[E] } }[Entity];

export const BatchBody = z.strictObject({
  records: z.array(BatchItem).min(1).max(LIMITS.maxBatchRecords),
});
export type BatchBody = z.input<typeof BatchBody>;
