// Wire names: the public contract between processes. Renaming one here renames a Kafka topic,
// a Temporal task queue or search attribute, an S3 key layout: treat every change as a migration.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ENTITIES = ['pin', 'geo', 'user'] as const;
export type Entity = (typeof ENTITIES)[number];

export function isEntity(value: string): value is Entity {
  return (ENTITIES as readonly string[]).includes(value);
}

/** An object with one value per entity: `byEntity((e) => entityTopic(prefix, e))`. */
export function byEntity<T>(fn: (entity: Entity) => T): Record<Entity, T> {
  return Object.fromEntries(ENTITIES.map((e) => [e, fn(e)])) as Record<Entity, T>;
}

/** Kafka topic of one entity: `pinterest.pin`, `pinterest.geo`, `pinterest.user`. */
export function entityTopic(prefix: string, entity: Entity): string {
  return `${prefix}.${entity}`;
}

/** Records that could not be parsed or cleaned, with the reason in their headers. */
export function deadLetterTopic(prefix: string): string {
  return `${prefix}.dlq`;
}

export function allTopics(prefix: string): string[] {
  return [...ENTITIES.map((e) => entityTopic(prefix, e)), deadLetterTopic(prefix)];
}

/**
 * The topic settings the pipeline relies on, applied by `npm run setup` to the entity and dead-letter
 * topics. A record timestamped far in the future (a producer's clock) would move every later day's
 * offsets to it and empty those days: the broker refuses timestamps more than an hour ahead
 * (KIP-937). Records may still be stamped in the past: a replay of old events lands in its day.
 */
export const MAX_FUTURE_TIMESTAMP_MS = 3_600_000;
export const TOPIC_CONFIG: Readonly<Record<string, string>> = {
  'message.timestamp.after.max.ms': String(MAX_FUTURE_TIMESTAMP_MS),
};

export const SEARCH_ATTRIBUTES = {
  batchDate: defineSearchAttributeKey('BatchDate', SearchAttributeType.KEYWORD),
  batchOutcome: defineSearchAttributeKey('BatchOutcome', SearchAttributeType.KEYWORD),
  streamName: defineSearchAttributeKey('StreamName', SearchAttributeType.KEYWORD),
  streamPaused: defineSearchAttributeKey('StreamPaused', SearchAttributeType.BOOL),
  /** True while the stream's micro-batches fail: `StreamRetrying = true` lists stuck streams in the UI. */
  streamRetrying: defineSearchAttributeKey('StreamRetrying', SearchAttributeType.BOOL),
} as const;
