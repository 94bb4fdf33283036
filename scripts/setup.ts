// `npm run setup`: migrations, Kafka topics, the S3 bucket and Temporal search attributes, each
// idempotent. Run by stack:up; run it by hand against docker compose or a real cluster.
import { loadConfigOrExit } from '../infra/config.ts';
import { createPool } from '../infra/db.ts';
import { createKafka } from '../infra/kafka.ts';
import { migrate } from '../infra/migrate.ts';
import { ensureBucket, ensureSearchAttributes, ensureTopics } from '../infra/provision.ts';
import { createS3 } from '../infra/s3.ts';
import { connectTemporal } from '../infra/temporal.ts';
import { allTopics, SEARCH_ATTRIBUTES } from '../domain/wire.ts';

async function step<T>(service: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new Error(`setup of ${service} failed (${what}): ${(err as Error).message}`, { cause: err });
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();

  const pool = createPool(config);
  try {
    const applied = await step('postgres', 'migrations', () => migrate(pool));
    console.log(`postgres: ${applied.length ? `applied ${applied.join(', ')}` : 'schema up to date'}`);
  } finally {
    await pool.end();
  }

  const admin = createKafka(config).admin();
  try {
    await step('kafka', 'connect', () => admin.connect());
    const created = await step('kafka', 'topics', () =>
      ensureTopics(admin, allTopics(config.KAFKA_TOPIC_PREFIX), {
        partitions: config.KAFKA_TOPIC_PARTITIONS,
        replicationFactor: config.KAFKA_REPLICATION_FACTOR,
      }),
    );
    console.log(`kafka: ${created.length ? `created ${created.join(', ')}` : 'topics exist'}`);
  } finally {
    await admin.disconnect();
  }

  const s3 = createS3(config);
  try {
    const created = await step('s3', 'bucket', () => ensureBucket(s3, config.S3_BUCKET));
    console.log(`s3: bucket ${config.S3_BUCKET} ${created ? 'created' : 'exists'}`);
  } finally {
    s3.destroy();
  }

  const { connection } = await step('temporal', 'connect', () => connectTemporal(config));
  try {
    const added = await step('temporal', 'search attributes', () =>
      ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE, Object.values(SEARCH_ATTRIBUTES)),
    );
    console.log(
      `temporal: ${added.length ? `registered ${added.join(', ')}` : 'search attributes registered'}`,
    );
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
