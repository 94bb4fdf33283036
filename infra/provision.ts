// Idempotent creation of what the pipeline expects to exist: topics, bucket, search attributes.
// Used by `npm run setup` (local stack, docker compose or a real cluster) and by tests.
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Connection } from '@temporalio/client';
import { SearchAttributeType, type defineSearchAttributeKey } from '@temporalio/common';
import proto from '@temporalio/proto';
import kafkajs, { type Admin } from 'kafkajs';
import { MAX_FUTURE_TIMESTAMP_MS, TOPIC_CONFIG } from '../domain/wire.ts';
import { s3Status } from './outages.ts';

// @temporalio/proto and kafkajs are CommonJS: some of their exports come only through the default one.
const { ConfigResourceTypes, ConfigSource } = kafkajs;
const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;
// The SDK exports the key factory but not its result type.
type SearchAttributeKey = ReturnType<typeof defineSearchAttributeKey>;

/**
 * Creates the topics that do not exist yet, with the pipeline's settings (TOPIC_CONFIG), and brings
 * the settings of existing ones up to date; returns the names it created.
 */
export async function ensureTopics(
  admin: Admin,
  topics: string[],
  opts: {
    partitions: number;
    replicationFactor: number;
    /** More settings for the topics it creates (tests keep their records: `retention.ms=-1`). */
    config?: Record<string, string>;
  },
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: opts.partitions,
        replicationFactor: opts.replicationFactor,
        configEntries: Object.entries({ ...opts.config, ...TOPIC_CONFIG }).map(([name, value]) => ({
          name,
          value,
        })),
      })),
    });
  }
  await ensureTopicConfig(
    admin,
    topics.filter((t) => existing.has(t)),
  );
  return missing;
}

/**
 * Sets TOPIC_CONFIG on existing topics whose settings differ. AlterConfigs replaces a topic's whole
 * set of overrides, so the overrides a topic has (retention, say) are sent along unchanged.
 */
async function ensureTopicConfig(admin: Admin, topics: string[]): Promise<void> {
  if (topics.length === 0) return;
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
  });
  const updates = resources.flatMap((r) => {
    const overrides = Object.fromEntries(
      r.configEntries
        .filter((e) => e.configSource === ConfigSource.TOPIC_CONFIG && !e.isSensitive)
        .map((e) => [e.configName, e.configValue]),
    );
    const wanted = { ...overrides, ...TOPIC_CONFIG };
    const same = Object.entries(TOPIC_CONFIG).every(([k, v]) => overrides[k] === v);
    return same ? [] : [{ name: r.resourceName, wanted }];
  });
  if (updates.length === 0) return;
  await admin.alterConfigs({
    validateOnly: false,
    resources: updates.map((u) => ({
      type: ConfigResourceTypes.TOPIC,
      name: u.name,
      configEntries: Object.entries(u.wanted).map(([name, value]) => ({ name, value })),
    })),
  });
}

/**
 * What in a topic's settings lets a record's timestamp lie far in the future; empty when nothing
 * does: the broker stamps records itself (LogAppendTime) or refuses timestamps past the bound.
 */
export async function futureTimestampProblems(admin: Admin, topics: string[]): Promise<string[]> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({
      type: ConfigResourceTypes.TOPIC,
      name,
      configNames: ['message.timestamp.type', 'message.timestamp.after.max.ms'],
    })),
  });
  return resources.flatMap((r) => {
    const value = (name: string) => r.configEntries.find((e) => e.configName === name)?.configValue;
    if (value('message.timestamp.type') === 'LogAppendTime') return [];
    const after = Number(value('message.timestamp.after.max.ms'));
    if (Number.isFinite(after) && after <= MAX_FUTURE_TIMESTAMP_MS) return [];
    return [
      `topic ${r.resourceName} accepts records timestamped up to ${value('message.timestamp.after.max.ms') ?? '?'} ms ` +
        `in the future, which would empty later days: set message.timestamp.after.max.ms=${MAX_FUTURE_TIMESTAMP_MS} ` +
        `(npm run setup does) or message.timestamp.type=LogAppendTime`,
    ];
  });
}

/** Creates the bucket unless it exists; returns whether it created it. */
export async function ensureBucket(s3: S3Client, bucket: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return false;
  } catch (err) {
    if (s3Status(err) !== 404) throw err;
  }
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    return true;
  } catch (err) {
    // Another process created it between the two calls.
    if ((err as Error).name === 'BucketAlreadyOwnedByYou') return false;
    throw err;
  }
}

const indexedTypes: Record<SearchAttributeType, proto.temporal.api.enums.v1.IndexedValueType> = {
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.TEXT]: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.DOUBLE]: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.BOOL]: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DATETIME]: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  [SearchAttributeType.KEYWORD_LIST]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** Registers the custom search attributes the namespace lacks; returns the names it added. */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: SearchAttributeKey[],
): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = keys.filter((k) => !(k.name in (customAttributes ?? {})));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map((k) => [k.name, indexedTypes[k.type as SearchAttributeType]]),
    ),
  });
  return missing.map((k) => k.name);
}
