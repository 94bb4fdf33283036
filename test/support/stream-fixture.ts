// Isolation for speed-layer tests on the shared stack: fresh topics and a fresh PostgreSQL schema
// shaped like `speed`, so tests never touch the real tables or each other.
import type { Admin, Producer } from 'kafkajs';
import pg from 'pg';
import { ENTITIES, allTopics, entityTopic, type Entity } from '../../domain/wire.ts';
import type { Pool } from '../../infra/db.ts';
import { ensureTopics } from '../../infra/provision.ts';
import { freshName } from './names.ts';

const TABLES = ['pin', 'geo', 'user', 'stream_offsets', 'dead_letters'];

/** A new schema with the speed layer's tables (no rows); returns its name. */
export async function createSpeedSchema(pool: Pool): Promise<string> {
  const schema = freshName('test_speed').replace(/-/g, '_');
  const q = pg.escapeIdentifier;
  const ddl = TABLES.map((t) => `CREATE TABLE ${q(schema)}.${q(t)} (LIKE speed.${q(t)} INCLUDING ALL);`);
  await pool.query(`CREATE SCHEMA ${q(schema)}; ${ddl.join(' ')}`);
  return schema;
}

export async function dropSchema(pool: Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
}

export async function createTestTopics(admin: Admin, partitions = 3): Promise<string> {
  const prefix = freshName('test');
  await ensureTopics(admin, allTopics(prefix), { partitions, replicationFactor: 1 });
  return prefix;
}

export async function deleteTestTopics(admin: Admin, prefix: string): Promise<void> {
  await admin.deleteTopics({ topics: allTopics(prefix) }).catch(() => undefined);
}

/** Sends raw records keyed by their `ind`, as the ingest API does; returns when Kafka has them. */
export async function sendRaw(producer: Producer, prefix: string, entity: Entity, records: unknown[]) {
  await producer.send({
    topic: entityTopic(prefix, entity),
    acks: -1,
    messages: records.map((r) => {
      const rec = r as { index?: unknown; ind?: unknown };
      return {
        key: String(rec.index ?? rec.ind ?? 'x'),
        value: typeof r === 'string' ? r : JSON.stringify(r),
      };
    }),
  });
}

export { ENTITIES };
