// The emulator against the real ingest API and Kafka, on fresh topics and a private source database
// (test/support/emulator-source.ts): its summary is exactly what the topics hold, every record in
// Kafka is one the source set holds, and nothing acknowledged is missing. Needs `npm run stack:up`.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Admin, Kafka } from 'kafkajs';
import { pino } from 'pino';
import { createIngestService, type IngestService } from '../../api/service.ts';
import { deadLetterTopic, ENTITIES, entityTopic, type Entity } from '../../domain/wire.ts';
import type { SourcePost } from '../../emulator/source-records.ts';
import { loadConfig } from '../../infra/config.ts';
import { createKafka } from '../../infra/kafka.ts';
import { acknowledged, emulate } from '../support/emulator-run.ts';
import { createEmulatorSource, type EmulatorSource } from '../support/emulator-source.ts';
import { countRecords, readTopics } from '../support/kafka-read.ts';
import { freePort } from '../support/net.ts';
import { createTestTopics, deleteTestTopics } from '../support/stream-fixture.ts';

const API_KEY = 'emulator-test-key-0123';
const SOURCE = { seed: 20_261_122, posts: 200 };
const RUN = { seed: 42, count: 150, concurrency: 4, rate: 1_500 };
/**
 * Rows the API must refuse, one entity per residue of ind mod 10: 20 of 200 posts each, so a run of
 * 150 random posts sends some of each (it misses all 20 with a chance of about 1e-7).
 */
const REFUSED: { [E in Entity]: { residue: number; values: Partial<SourcePost[E]>; field: string } } = {
  pin: { residue: 0, values: { follower_count: 'lots' }, field: 'follower_count' },
  geo: { residue: 1, values: { latitude: 200 }, field: 'latitude' },
  user: { residue: 2, values: { age: 200 }, field: 'age' },
};
const refused = (entity: Entity, ind: number) => ind % 10 === REFUSED[entity].residue;

const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
let kafka: Kafka;
let admin: Admin;
let prefix: string;
let source: EmulatorSource;
let service: IngestService;
let url: string;

before(async () => {
  kafka = createKafka(config);
  admin = kafka.admin();
  await admin.connect();
  prefix = await createTestTopics(admin);
  source = await createEmulatorSource(SOURCE);
  for (const entity of ENTITIES) {
    for (let ind = REFUSED[entity].residue; ind < SOURCE.posts; ind += 10)
      await source.update(entity, ind, REFUSED[entity].values);
  }
  service = createIngestService(
    { ...config, KAFKA_TOPIC_PREFIX: prefix, API_KEY },
    pino({ level: 'silent' }),
  );
  const server = await service.listen(await freePort(), '127.0.0.1');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await service?.close();
  await source?.close();
  if (prefix) await deleteTestTopics(admin, prefix);
  await admin?.disconnect();
});

test('the summary is exactly what Kafka holds, and Kafka holds only source records', async (t) => {
  const { summary, sent } = await emulate(RUN, { source: source.reader, baseUrl: url, apiKey: API_KEY });
  t.diagnostic(
    `${summary.posts} posts, ${summary.accepted} accepted, ${summary.rejected} rejected in ${summary.durationSeconds} s`,
  );

  assert.equal(summary.stoppedBy, 'count');
  assert.equal(summary.posts, RUN.count);
  assert.equal(summary.errors, 0, summary.lastError);
  assert.equal(summary.retries, 0);
  for (const entity of ENTITIES) {
    const ofEntity = sent.filter((s) => s.entity === entity);
    const bad = ofEntity.filter((s) => refused(entity, s.ind));
    assert.ok(bad.length > 0, `the run sent some refused ${entity} records`);
    for (const s of bad) {
      assert.equal(s.result.status, 'rejected', `${entity} ${s.ind}`);
      assert.match((s.result as { detail: string }).detail, new RegExp(`^400 .*"${REFUSED[entity].field}`));
    }
    assert.deepEqual(summary.entities[entity], {
      sent: RUN.count,
      accepted: RUN.count - bad.length,
      rejected: bad.length,
      errors: 0,
    });
    assert.equal(
      await countRecords(admin, [entityTopic(prefix, entity)]),
      summary.entities[entity].accepted,
      `${entity}: the topic holds every acknowledged record and nothing else`,
    );
  }
  assert.equal(await countRecords(admin, [deadLetterTopic(prefix)]), 0);

  const messages = await readTopics(
    kafka,
    ENTITIES.map((e) => entityTopic(prefix, e)),
    summary.accepted,
  );
  const entityOf = new Map(ENTITIES.map((e) => [entityTopic(prefix, e), e]));
  const inKafka = messages.map((m) => `${entityOf.get(m.topic)} ${m.key} ${m.value}`).sort();
  const acked = acknowledged(sent)
    .map((s) => `${s.entity} ${s.ind} ${JSON.stringify(s.record)}`)
    .sort();
  assert.deepEqual(inKafka, acked, 'Kafka holds exactly the acknowledged records, byte for byte');

  const posts = new Map<number, SourcePost>();
  for (const m of messages) {
    const ind = Number(m.key);
    const post = posts.get(ind) ?? (await source.reader.readPost(ind));
    assert.ok(post, `post ${ind} is in the source set`);
    posts.set(ind, post);
    assert.deepEqual(JSON.parse(m.value), post[entityOf.get(m.topic)!], `${m.topic} ${m.offset}`);
  }
});
