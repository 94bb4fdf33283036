// Checks, from a worker's point of view, that the services the pipeline needs answer.
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Admin } from 'kafkajs';
import type { Pool } from '../infra/db.ts';

export interface ServiceReport {
  service: 'kafka' | 's3' | 'postgres';
  detail: string;
  latencyMs: number;
}

interface Deps {
  pool: Pool;
  kafkaAdmin: Admin;
  s3: S3Client;
  bucket: string;
  topics: string[];
}

async function timed(service: ServiceReport['service'], fn: () => Promise<string>): Promise<ServiceReport> {
  const started = performance.now();
  const detail = await fn();
  return { service, detail, latencyMs: Math.round(performance.now() - started) };
}

export function createHealthActivities({ pool, kafkaAdmin, s3, bucket, topics }: Deps) {
  return {
    async checkKafka(): Promise<ServiceReport> {
      return timed('kafka', async () => {
        const metadata = await kafkaAdmin.fetchTopicMetadata({ topics });
        const partitions = metadata.topics.reduce((n, t) => n + t.partitions.length, 0);
        return `${metadata.topics.length} topics, ${partitions} partitions`;
      });
    },
    async checkS3(): Promise<ServiceReport> {
      return timed('s3', async () => {
        await s3.send(new HeadBucketCommand({ Bucket: bucket }));
        return `bucket ${bucket} reachable`;
      });
    },
    async checkPostgres(): Promise<ServiceReport> {
      return timed('postgres', async () => {
        const { rows } = await pool.query<{ version: number }>(
          'SELECT max(version)::int AS version FROM public.schema_migrations',
        );
        return `schema version ${rows[0]?.version ?? 0}`;
      });
    },
  };
}

export type HealthActivities = ReturnType<typeof createHealthActivities>;
