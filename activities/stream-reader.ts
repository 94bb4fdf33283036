// Reads a topic from any offsets, for micro-batches. kafkajs has no manual partition assignment, so
// each worker process owns one consumer in a group of its own (it is assigned every partition),
// never commits to Kafka, and seeks to the checkpoint PostgreSQL holds whenever its buffered
// position differs. Any worker can then run any micro-batch of any stream.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';

export interface ReadMessage {
  partition: number;
  offset: bigint;
  timestamp: number;
  value: Buffer | null;
}

export interface ReadRequest {
  topic: string;
  /** Next offset to read per partition (the checkpoint). */
  from: Map<number, bigint>;
  maxPerPartition: number;
  /** How long to wait for a first record when none is buffered. */
  maxWaitMs: number;
  signal?: AbortSignal;
}

/** Messages of one partition buffered from offset `start`, contiguous (offsets have no gaps). */
interface PartitionBuffer {
  start: bigint;
  messages: KafkaMessage[];
  paused: boolean;
}

const MAX_BUFFERED = 50_000;

export class StreamReader {
  private readonly consumer: Consumer;
  private readonly buffers = new Map<string, PartitionBuffer>();
  private waiters = new Set<() => void>();
  private joined: Promise<void>;

  constructor(
    kafka: Kafka,
    private readonly topics: string[],
    groupPrefix: string,
  ) {
    // A group of its own: this process is assigned all partitions and never competes with others.
    this.consumer = kafka.consumer({
      groupId: `${groupPrefix}-reader-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
      maxWaitTimeInMs: 250,
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
      allowAutoTopicCreation: false,
    });
    this.joined = new Promise((resolve) => {
      this.consumer.on(this.consumer.events.GROUP_JOIN, () => resolve());
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch }) => this.onBatch(batch.topic, batch.partition, batch.messages),
    });
    await this.joined;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }

  /** Up to maxPerPartition messages per partition from `from`; waits up to maxWaitMs for a first one. */
  async read(req: ReadRequest): Promise<ReadMessage[]> {
    for (const [partition, offset] of req.from) this.position(req.topic, partition, offset);
    const deadline = Date.now() + req.maxWaitMs;
    for (;;) {
      const out = this.take(req);
      const left = deadline - Date.now();
      if (out.length > 0 || left <= 0 || req.signal?.aborted) return out;
      // Woken by data of any topic: look again until this topic has some or time is up.
      await this.waitForData(left, req.signal);
    }
  }

  private key(topic: string, partition: number): string {
    return `${topic}/${partition}`;
  }

  /** Makes the buffer of a partition start at `offset`, seeking when it does not hold it. */
  private position(topic: string, partition: number, offset: bigint): void {
    const key = this.key(topic, partition);
    const buf = this.buffers.get(key);
    if (buf) {
      const next = buf.start + BigInt(buf.messages.length);
      if (offset >= buf.start && offset <= next) {
        buf.messages.splice(0, Number(offset - buf.start));
        buf.start = offset;
        this.resumeIfDrained(topic, partition, buf);
        return;
      }
    }
    this.buffers.set(key, { start: offset, messages: [], paused: buf?.paused ?? false });
    this.consumer.seek({ topic, partition, offset: offset.toString() });
    if (buf?.paused) this.resumeIfDrained(topic, partition, this.buffers.get(key)!);
  }

  private take(req: ReadRequest): ReadMessage[] {
    const out: ReadMessage[] = [];
    for (const partition of req.from.keys()) {
      const buf = this.buffers.get(this.key(req.topic, partition));
      if (!buf) continue;
      const n = Math.min(buf.messages.length, req.maxPerPartition);
      for (let i = 0; i < n; i++) {
        const m = buf.messages[i]!;
        out.push({
          partition,
          offset: buf.start + BigInt(i),
          timestamp: Number(m.timestamp),
          value: m.value,
        });
      }
    }
    return out;
  }

  private onBatch(topic: string, partition: number, messages: KafkaMessage[]): void {
    const key = this.key(topic, partition);
    let buf = this.buffers.get(key);
    if (!buf) {
      // Not positioned yet: keep what arrives, a read will seek if it wants other offsets.
      const first = messages[0];
      if (!first) return;
      buf = { start: BigInt(first.offset), messages: [], paused: false };
      this.buffers.set(key, buf);
    }
    let next = buf.start + BigInt(buf.messages.length);
    for (const m of messages) {
      // Only the next offset extends the buffer: stale fetches from before a seek are dropped.
      if (BigInt(m.offset) !== next) continue;
      buf.messages.push(m);
      next++;
    }
    if (buf.messages.length >= MAX_BUFFERED && !buf.paused) {
      buf.paused = true;
      this.consumer.pause([{ topic, partitions: [partition] }]);
    }
    this.notify();
  }

  private resumeIfDrained(topic: string, partition: number, buf: PartitionBuffer): void {
    if (buf.paused && buf.messages.length < MAX_BUFFERED / 2) {
      buf.paused = false;
      this.consumer.resume([{ topic, partitions: [partition] }]);
    }
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const w of waiters) w();
  }

  private waitForData(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
