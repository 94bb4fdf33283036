// The chaos run's second producer: poison written straight to Kafka, beside the API, at a steady
// pace: what no API validated and the layers must dead-letter with its reason, never retry. A record
// stamped days ahead is sent too: the broker must refuse it (it would empty later days).
import type { Kafka, Producer } from 'kafkajs';
import { ENTITIES, entityTopic, type Entity } from '../../domain/wire.ts';

const KINDS = ['not-json', 'lone-surrogate', 'nul', 'large', 'wrong-entity', 'not-utf8', 'future'] as const;
export type PoisonKind = (typeof KINDS)[number];

const PIN = {
  index: 0,
  unique_id: 'poison',
  title: 'x',
  description: 'x',
  poster_name: 'x',
  follower_count: '1k',
  tag_list: 'x',
  is_image_or_video: 'image',
  image_src: 'x',
  downloaded: 1,
  save_location: 'Local save in /data/art',
  category: 'art',
};

/** A poison value: every one names itself (`poison-<n>`) so that the witness could tell it apart. */
function value(kind: PoisonKind, n: number, entity: Entity): Buffer {
  const tag = `poison-${n}`;
  switch (kind) {
    case 'not-json':
      return Buffer.from(`${tag} is not JSON {`);
    case 'lone-surrogate':
      return Buffer.from(JSON.stringify({ ...PIN, unique_id: tag, title: 'broken \ud800' }));
    case 'nul':
      return Buffer.from(JSON.stringify({ ...PIN, unique_id: tag, description: 'a\u0000b' }));
    case 'large':
      return Buffer.from(JSON.stringify({ ...PIN, unique_id: tag, description: 'x'.repeat(200_000) }));
    case 'wrong-entity':
      // A valid record, of another entity than the topic's.
      return Buffer.from(
        JSON.stringify(
          entity === 'geo'
            ? { ...PIN, unique_id: tag }
            : { ind: 1, timestamp: '2020-01-01 00:00:00', latitude: 1, longitude: 1, country: tag },
        ),
      );
    case 'not-utf8':
      return Buffer.concat([Buffer.from(tag), Buffer.from([0x00, 0xff, 0xfe])]);
    case 'future':
      return Buffer.from(JSON.stringify({ ...PIN, unique_id: tag }));
  }
}

export interface PoisonStats {
  sent: Record<PoisonKind, number>;
  /** Sends that failed (Kafka down): whether the record landed is unknown; the witness says. */
  failed: number;
  /** Records stamped days ahead that the broker refused, as it must. */
  futureRefused: number;
  /** Records stamped days ahead that the broker took: each one is an invariant broken. */
  futureAccepted: number;
}

export class PoisonProducer {
  readonly stats: PoisonStats = {
    sent: Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<PoisonKind, number>,
    failed: 0,
    futureRefused: 0,
    futureAccepted: 0,
  };
  private readonly producer: Producer;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private n = 0;

  private readonly topicPrefix: string;
  private readonly random: () => number;
  constructor(kafka: Kafka, topicPrefix: string, random: () => number) {
    this.topicPrefix = topicPrefix;
    this.random = random;
    this.producer = kafka.producer({
      retry: { retries: 2, maxRetryTime: 1_000 },
      allowAutoTopicCreation: false,
    });
  }

  async start(everyMs: number): Promise<void> {
    await this.producer.connect();
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.sendOne());
    }, everyMs);
  }

  async stop(): Promise<void> {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.producer.disconnect();
  }

  private async sendOne(): Promise<void> {
    const kind = KINDS[Math.floor(this.random() * KINDS.length)]!;
    const entity = ENTITIES[Math.floor(this.random() * ENTITIES.length)]!;
    const n = this.n++;
    const future = kind === 'future';
    try {
      await this.producer.send({
        topic: entityTopic(this.topicPrefix, entity),
        acks: -1,
        messages: [
          {
            key: String(100_000 + n),
            value: value(kind, n, entity),
            ...(future ? { timestamp: String(Date.now() + 3 * 86_400_000) } : {}),
          },
        ],
      });
      this.stats.sent[kind]++;
      if (future) this.stats.futureAccepted++;
    } catch (err) {
      const refused = future && /timestamp/i.test(String((err as Error).message));
      if (refused) this.stats.futureRefused++;
      else this.stats.failed++;
    }
  }
}
