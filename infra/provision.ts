// Idempotent creation of what the pipeline expects to exist: topics, bucket, search attributes.
// Used by `npm run setup` (local stack, docker compose or a real cluster) and by tests.
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Connection } from '@temporalio/client';
import { SearchAttributeType, type defineSearchAttributeKey } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { Admin } from 'kafkajs';

// @temporalio/proto is CommonJS: its namespaces come through the default export.
const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;
// The SDK exports the key factory but not its result type.
type SearchAttributeKey = ReturnType<typeof defineSearchAttributeKey>;

/** Creates the topics that do not exist yet; returns the names it created. */
export async function ensureTopics(
  admin: Admin,
  topics: string[],
  opts: { partitions: number; replicationFactor: number },
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length === 0) return [];
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => ({
      topic,
      numPartitions: opts.partitions,
      replicationFactor: opts.replicationFactor,
    })),
  });
  return missing;
}

/** Creates the bucket unless it exists; returns whether it created it. */
export async function ensureBucket(s3: S3Client, bucket: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return false;
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw err;
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
