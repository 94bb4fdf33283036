// A stream's input for tests: a fresh stream name, the topics under `topicPrefix`, small batches and
// short waits; each test overrides what it is about.
import { deadLetterTopic, entityTopic, type Entity } from '../../domain/wire.ts';
import type { StreamInput } from '../../workflows/stream.ts';
import { freshName } from './names.ts';

export function streamInputFor(
  topicPrefix: string,
  schema: string,
  entity: Entity,
  overrides: Partial<StreamInput> = {},
): StreamInput {
  return {
    stream: freshName(`stream-${entity}`),
    entity,
    topic: entityTopic(topicPrefix, entity),
    deadLetterTopic: deadLetterTopic(topicPrefix),
    schema,
    maxRecordsPerPartition: 1_000,
    maxWaitMs: 300,
    idleBackoffMs: { initial: 50, max: 200 },
    maxBatchesPerRun: 200,
    ...overrides,
  };
}
