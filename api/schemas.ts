// Request bodies of the write endpoints, built from the raw record schemas (domain/raw-records.ts).
import { z } from 'zod';
import { RawGeo, RawPin, RawUser } from '../domain/raw-records.ts';
import { LIMITS } from './limits.ts';

export const BatchItem = z.discriminatedUnion('entity', [
  z.strictObject({ entity: z.literal('pin'), data: RawPin }),
  z.strictObject({ entity: z.literal('geo'), data: RawGeo }),
  z.strictObject({ entity: z.literal('user'), data: RawUser }),
]);
export type BatchItem = z.input<typeof BatchItem>;

export const BatchBody = z.strictObject({
  records: z.array(BatchItem).min(1).max(LIMITS.maxBatchRecords),
});
export type BatchBody = z.input<typeof BatchBody>;
