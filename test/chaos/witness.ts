// The chaos run's witness: a consumer of its own that reads every record of the entity topics as it
// arrives (before any retention fault may delete it), and keeps what the checks at the end compare
// the pipeline with: each value's count, each post's latest cleanable event, the records the
// cleaning refuses, and each partition's offsets.
import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { cleanRecord } from '../../domain/entities.ts';
import { isLaterEvent, type EventPosition } from '../../domain/latest-event.ts';
import { ENTITIES, entityTopic, type Entity } from '../../domain/wire.ts';

export interface WitnessedEvent extends EventPosition {
  offset: number;
}

export interface EntityWitness {
  /** Every offset seen, per partition (each once, whatever kafkajs redelivers). */
  offsets: Map<number, Set<number>>;
  /** Records by value, as the API forwarded them: how many times each is in Kafka. */
  values: Map<string, number>;
  /** Each post's latest event among the records the cleaning accepts. */
  latest: Map<number, WitnessedEvent>;
  /** `partition/offset` of the records the cleaning refuses: the dead letters to be. */
  refused: Set<string>;
  /** Record timestamps by `partition/offset`, to cut days. */
  times: Map<string, number>;
  /** The offset after the last record seen, per partition. */
  next: Map<number, number>;
}

export class Witness {
  readonly entities: Record<Entity, EntityWitness>;
  private readonly consumer: Consumer;
  private readonly topics: Map<string, Entity>;

  constructor(kafka: Kafka, topicPrefix: string) {
    this.entities = Object.fromEntries(
      ENTITIES.map((e) => [
        e,
        {
          offsets: new Map(),
          values: new Map(),
          latest: new Map(),
          refused: new Set(),
          times: new Map(),
          next: new Map(),
        },
      ]),
    ) as Record<Entity, EntityWitness>;
    this.topics = new Map(ENTITIES.map((e) => [entityTopic(topicPrefix, e), e]));
    this.consumer = kafka.consumer({ groupId: `chaos-witness-${randomUUID()}`, maxWaitTimeInMs: 200 });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.topics.keys()], fromBeginning: true });
    await this.consumer.run({
      // Committed positions survive a restart of the consumer after a broker outage.
      autoCommit: true,
      eachBatch: async ({ batch }) => {
        const entity = this.topics.get(batch.topic);
        if (!entity) return;
        for (const m of batch.messages)
          this.see(entity, batch.partition, Number(m.offset), Number(m.timestamp), m.value);
      },
    });
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }

  /** The offset after the last record seen in each partition of an entity's topic. */
  position(entity: Entity, partition: number): number {
    return this.entities[entity].next.get(partition) ?? 0;
  }

  /** Records seen of an entity (all partitions). */
  count(entity: Entity): number {
    let n = 0;
    for (const set of this.entities[entity].offsets.values()) n += set.size;
    return n;
  }

  private see(entity: Entity, partition: number, offset: number, time: number, value: Buffer | null): void {
    const w = this.entities[entity];
    let seen = w.offsets.get(partition);
    if (!seen) w.offsets.set(partition, (seen = new Set()));
    if (seen.has(offset)) return;
    seen.add(offset);
    w.next.set(partition, Math.max(w.next.get(partition) ?? 0, offset + 1));
    const key = `${partition}/${offset}`;
    w.times.set(key, time);
    const text = value?.toString('utf8') ?? '';
    w.values.set(text, (w.values.get(text) ?? 0) + 1);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      w.refused.add(key);
      return;
    }
    const cleaned = cleanRecord(entity, parsed);
    if (!cleaned.ok) {
      w.refused.add(key);
      return;
    }
    const event = { partition, offset, time };
    const prior = w.latest.get(cleaned.record.ind);
    if (!prior || isLaterEvent(event, prior)) w.latest.set(cleaned.record.ind, event);
  }
}
