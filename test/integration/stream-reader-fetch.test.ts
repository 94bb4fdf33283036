// A worker's reader fetches only the partitions its micro-batches read (activities/stream-reader.ts):
// with a stream's shards on several workers, each record is fetched by one worker, not by all.
// Against the real broker: records in three partitions, reads of one partition at a time.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { StreamReader } from '../../activities/stream-reader.ts';
import { entityTopic } from '../../domain/wire.ts';
import { loadConfig } from '../../infra/config.ts';
import { createKafka } from '../../infra/kafka.ts';
import { freshName } from '../support/names.ts';
import { createTestTopics, deleteTestTopics } from '../support/stream-fixture.ts';

const RELEASE_MS = 1_500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let kafka: Kafka;
let admin: Admin;
let producer: Producer;
let prefix: string;
let topic: string;
let reader: StreamReader;

before(async () => {
  kafka = createKafka(loadConfig({}));
  admin = kafka.admin();
  producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
  prefix = await createTestTopics(admin, 3);
  topic = entityTopic(prefix, 'pin');
  for (const partition of [0, 1, 2]) {
    const messages = Array.from({ length: 20 }, (_, i) => ({
      partition,
      key: String(i),
      value: `p${partition}-${i}`,
    }));
    await producer.send({ topic, acks: -1, messages });
  }
  reader = new StreamReader(kafka, [topic], freshName('test-reader'), { releaseMs: RELEASE_MS });
  await reader.start();
});

after(async () => {
  await reader.stop();
  await deleteTestTopics(admin, prefix);
  await Promise.all([admin.disconnect(), producer.disconnect()]);
});

const readOne = (partition: number) =>
  reader.read({ topic, from: new Map([[partition, 0n]]), maxPerPartition: 100, maxWaitMs: 10_000 });

test('a partition no micro-batch reads is not fetched; one that is read is, until it is left alone', async () => {
  // Nothing read yet: nothing fetched, although every partition holds records.
  await sleep(1_000);
  for (const p of [0, 1, 2]) {
    assert.deepEqual(
      reader.buffered(topic, p),
      { messages: 0, bytes: 0, paused: false, fetched: false },
      `p${p}`,
    );
  }

  const first = await readOne(0);
  assert.equal(first.messages.length, 20);
  assert.ok(first.messages.every((m) => m.partition === 0));
  assert.equal(reader.buffered(topic, 0).fetched, true);
  assert.equal(reader.buffered(topic, 1).fetched, false, 'p1 is not fetched for a read of p0');
  assert.equal(reader.buffered(topic, 1).messages, 0);

  // Partition 1 read from now on, partition 0 no longer: past RELEASE_MS, p0 is released.
  for (const until = Date.now() + RELEASE_MS * 2; Date.now() < until; await sleep(200)) {
    const r = await readOne(1);
    assert.equal(r.messages.length, 20, 'p1 whole at each read from its start');
  }
  assert.equal(reader.buffered(topic, 0).fetched, false, 'p0 released');
  assert.equal(reader.buffered(topic, 0).messages, 0, "p0's buffer dropped");
  assert.equal(reader.buffered(topic, 2).fetched, false, 'p2 never fetched');

  // A released partition read again is fetched again, from the offset asked for.
  const again = await reader.read({
    topic,
    from: new Map([[0, 5n]]),
    maxPerPartition: 100,
    maxWaitMs: 10_000,
  });
  assert.deepEqual(
    again.messages.map((m) => Number(m.offset)),
    Array.from({ length: 15 }, (_, i) => i + 5),
  );
});
