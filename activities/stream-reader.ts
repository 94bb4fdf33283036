// Reads a topic from any offsets, for micro-batches. kafkajs has no manual partition assignment, so
// each worker process owns one consumer in a group of its own (it is assigned every partition),
// never commits to Kafka, and seeks to the checkpoint PostgreSQL holds whenever its buffered
// position differs. Any worker can then run any micro-batch of any stream.
//
// A worker fetches only what its micro-batches read: every partition starts paused, a read resumes
// the partitions it asks for, and a partition no read asked for in RELEASE_MS is paused again and its
// buffer dropped. With a stream's shards spread over workers (each shard's batches stay on the worker
// that ran the last one, workflows/stream.ts), N workers fetch each record once, not N times.
//
// Offsets may have gaps (transaction markers, aborted transactions, compaction, deleted records): a
// partition's position advances past what Kafka fetched, never waiting for an offset that will not
// come, and a read reports, per partition, the offset to go on from.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Batch, Consumer, Kafka } from 'kafkajs';

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
  /** Kafka's high watermark per partition, as the caller last saw it: where records are known to be. */
  high?: Map<number, bigint>;
  maxPerPartition: number;
  /** How long to wait for a first record when none is buffered. */
  maxWaitMs: number;
  signal?: AbortSignal;
}

export interface ReadResult {
  messages: ReadMessage[];
  /** Per partition of the request: the offset after what this read covers (its messages and gaps). */
  next: Map<number, bigint>;
}

/** What one partition's buffer holds: the fetched messages from `start`, Kafka's position at `end`. */
interface PartitionBuffer {
  /** The offset a read asked for last. */
  start: bigint;
  /** The offset after the last record Kafka returned from `start` on (control records included). */
  end: bigint;
  messages: ReadMessage[];
  bytes: number;
  paused: boolean;
  /** When Kafka last extended the buffer, or a read positioned it (ms). */
  touchedAt: number;
}

/**
 * A partition whose buffer has not moved this long while Kafka holds records past it is fetched
 * again from where the buffer ends: kafkajs's own position was lost (a consumer restarted after a
 * broker outage, a rebalance), and the buffer would otherwise wait for ever.
 */
const STALLED_MS = 5_000;

/** A partition's buffer is paused above either bound and resumed below half of both. */
const MAX_BUFFERED_MESSAGES = 50_000;
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** A partition no micro-batch of this process read for this long stops being fetched. */
const RELEASE_MS = 30_000;

/** A micro-batch takes up to this many bytes of values per partition (at least one message). */
const MAX_TAKEN_BYTES = 8 * 1024 * 1024;

const sizeOf = (m: ReadMessage) => (m.value?.length ?? 0) + 64;

export class StreamReader {
  private readonly consumer: Consumer;
  private readonly buffers = new Map<string, PartitionBuffer>();
  private waiters = new Set<() => void>();
  private joined: Promise<void>;
  /** When a read last asked for each partition (`topic/partition`). */
  private readonly lastRead = new Map<string, number>();
  /** Partitions paused because no micro-batch here reads them (apart from back-pressure pauses). */
  private readonly idle = new Set<string>();

  private readonly topics: string[];
  private readonly releaseMs: number;
  constructor(kafka: Kafka, topics: string[], groupPrefix: string, opts: { releaseMs?: number } = {}) {
    this.topics = topics;
    this.releaseMs = opts.releaseMs ?? RELEASE_MS;
    // A group of its own: this process is assigned all partitions and never competes with others.
    this.consumer = kafka.consumer({
      groupId: `${groupPrefix}-reader-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
      maxWaitTimeInMs: 250,
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
      allowAutoTopicCreation: false,
      // A partition added to a topic is read within 30 s, not kafkajs's default 5 minutes.
      metadataMaxAge: 30_000,
    });
    let joins = 0;
    this.joined = new Promise((resolve) => {
      this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
        // A join after the first (the consumer restarted after a broker outage) resets kafkajs's
        // fetch positions: the buffers no longer match them, and each partition is sought again.
        if (joins++ > 0) this.forgetPositions();
        // Before the first fetch: nothing is fetched that no micro-batch here has asked for lately.
        this.pauseUnread(payload.memberAssignment);
        resolve();
      });
    });
    // kafkajs does not hand over a fetch whose records were all control records or aborted ones, but
    // it moves past them: so must the buffer, or a partition ending in a transaction marker would
    // show a lag of 1 for ever.
    this.consumer.on(this.consumer.events.START_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize === 0 && payload.firstOffset !== null) {
        this.skipped(
          payload.topic,
          payload.partition,
          BigInt(payload.firstOffset),
          BigInt(payload.lastOffset),
        );
      }
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch }) => this.onBatch(batch),
    });
    await this.joined;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }

  /**
   * Up to maxPerPartition messages per partition from `from`; waits up to maxWaitMs for a first one.
   * Returns as soon as it has messages, or a partition's position moved past a gap.
   */
  async read(req: ReadRequest): Promise<ReadResult> {
    const now = Date.now();
    this.releaseUnread(now);
    for (const [partition, offset] of req.from) {
      this.lastRead.set(this.key(req.topic, partition), now);
      this.position(req.topic, partition, offset);
    }
    const deadline = Date.now() + req.maxWaitMs;
    for (;;) {
      const out = this.take(req);
      const moved = [...out.next].some(([p, next]) => next !== req.from.get(p));
      const left = deadline - Date.now();
      if (out.messages.length > 0 || moved || left <= 0 || req.signal?.aborted) return out;
      // Woken by data of any topic: look again until this topic has some or time is up.
      await this.waitForData(left, req.signal);
    }
  }

  /** What a partition's buffer holds now (for the status of a worker and for tests). */
  buffered(
    topic: string,
    partition: number,
  ): { messages: number; bytes: number; paused: boolean; fetched: boolean } {
    const key = this.key(topic, partition);
    const buf = this.buffers.get(key);
    return {
      messages: buf?.messages.length ?? 0,
      bytes: buf?.bytes ?? 0,
      paused: buf?.paused ?? false,
      fetched: !this.idle.has(key),
    };
  }

  /** Pauses the assigned partitions no read asked for within RELEASE_MS. */
  private pauseUnread(assignment: Record<string, number[]>): void {
    const now = Date.now();
    for (const [topic, partitions] of Object.entries(assignment)) {
      const unread = partitions.filter(
        (p) => now - (this.lastRead.get(this.key(topic, p)) ?? -Infinity) > this.releaseMs,
      );
      for (const p of unread) this.release(topic, p);
    }
  }

  /** Stops fetching the partitions whose last read is older than RELEASE_MS, dropping their buffers. */
  private releaseUnread(now: number): void {
    for (const [key, at] of this.lastRead) {
      if (now - at <= this.releaseMs) continue;
      this.lastRead.delete(key);
      const slash = key.lastIndexOf('/');
      this.release(key.slice(0, slash), Number(key.slice(slash + 1)));
    }
  }

  private release(topic: string, partition: number): void {
    const key = this.key(topic, partition);
    if (this.idle.has(key)) return;
    this.idle.add(key);
    this.buffers.delete(key);
    this.consumer.pause([{ topic, partitions: [partition] }]);
  }

  private key(topic: string, partition: number): string {
    return `${topic}/${partition}`;
  }

  /** Makes the buffer of a partition start at `offset`, seeking when it does not hold it. */
  private position(topic: string, partition: number, offset: bigint): void {
    const key = this.key(topic, partition);
    if (this.idle.delete(key)) {
      // Fetched again from the offset asked for (the seek below): its buffer was dropped.
      this.buffers.delete(key);
      this.consumer.resume([{ topic, partitions: [partition] }]);
    }
    const buf = this.buffers.get(key);
    if (buf && offset >= buf.start && offset <= buf.end) {
      const drop = buf.messages.findIndex((m) => m.offset >= offset);
      const dropped = buf.messages.splice(0, drop < 0 ? buf.messages.length : drop);
      for (const m of dropped) buf.bytes -= sizeOf(m);
      buf.start = offset;
      this.resumeIfDrained(topic, partition, buf);
      return;
    }
    const fresh = {
      start: offset,
      end: offset,
      messages: [],
      bytes: 0,
      paused: buf?.paused ?? false,
      touchedAt: Date.now(),
    };
    this.buffers.set(key, fresh);
    this.consumer.seek({ topic, partition, offset: offset.toString() });
    this.resumeIfDrained(topic, partition, fresh);
  }

  private take(req: ReadRequest): ReadResult {
    const messages: ReadMessage[] = [];
    const next = new Map<number, bigint>();
    for (const [partition, from] of req.from) {
      const buf = this.buffers.get(this.key(req.topic, partition));
      if (!buf || buf.start !== from) {
        next.set(partition, from);
        continue;
      }
      const behind = (req.high?.get(partition) ?? 0n) > buf.end;
      if (buf.messages.length === 0 && behind && Date.now() - buf.touchedAt > STALLED_MS) {
        // Sought again at the next read.
        this.buffers.delete(this.key(req.topic, partition));
        next.set(partition, from);
        continue;
      }
      let bytes = 0;
      let n = 0;
      while (n < buf.messages.length && n < req.maxPerPartition && (n === 0 || bytes < MAX_TAKEN_BYTES)) {
        const m = buf.messages[n]!;
        bytes += sizeOf(m);
        messages.push(m);
        n++;
      }
      // All of the buffer taken: the read covers up to Kafka's position, gaps included.
      next.set(partition, n === buf.messages.length ? buf.end : buf.messages[n - 1]!.offset + 1n);
    }
    return { messages, next };
  }

  private onBatch(batch: Batch): void {
    const { topic, partition } = batch;
    const key = this.key(topic, partition);
    // A fetch issued before the partition was released: nobody here reads it.
    if (this.idle.has(key)) return;
    // Where this fetch started: kafkajs keeps it on the batch, its types leave it out.
    const fetchedFrom = BigInt((batch as Batch & { fetchedOffset: string }).fetchedOffset);
    let buf = this.buffers.get(key);
    if (!buf) {
      // Not positioned yet: keep what arrives, a read will seek if it wants other offsets.
      buf = {
        start: fetchedFrom,
        end: fetchedFrom,
        messages: [],
        bytes: 0,
        paused: false,
        touchedAt: Date.now(),
      };
      this.buffers.set(key, buf);
    }
    // Only a fetch from where the buffer ends extends it: one issued before a seek is stale.
    if (fetchedFrom !== buf.end) return;
    for (const m of batch.messages) {
      const message: ReadMessage = {
        partition,
        offset: BigInt(m.offset),
        timestamp: Number(m.timestamp),
        value: m.value,
      };
      buf.messages.push(message);
      buf.bytes += sizeOf(message);
    }
    buf.end = BigInt(batch.lastOffset()) + 1n;
    buf.touchedAt = Date.now();
    this.pauseIfFull(topic, partition, buf);
    this.notify();
  }

  /** A fetch of `[first, last]` that held no message to hand over (control records, aborted ones). */
  private skipped(topic: string, partition: number, first: bigint, last: bigint): void {
    const buf = this.buffers.get(this.key(topic, partition));
    if (!buf || first !== buf.end) return;
    buf.end = last + 1n;
    buf.touchedAt = Date.now();
    this.notify();
  }

  /** Drops every buffer (each partition is sought again at its next read), resuming paused ones. */
  private forgetPositions(): void {
    for (const [key, buf] of this.buffers) {
      if (!buf.paused) continue;
      const at = key.lastIndexOf('/');
      this.consumer.resume([{ topic: key.slice(0, at), partitions: [Number(key.slice(at + 1))] }]);
    }
    this.buffers.clear();
  }

  private pauseIfFull(topic: string, partition: number, buf: PartitionBuffer): void {
    if (buf.paused || (buf.messages.length < MAX_BUFFERED_MESSAGES && buf.bytes < MAX_BUFFERED_BYTES)) return;
    buf.paused = true;
    this.consumer.pause([{ topic, partitions: [partition] }]);
  }

  private resumeIfDrained(topic: string, partition: number, buf: PartitionBuffer): void {
    if (!buf.paused || this.idle.has(this.key(topic, partition))) return;
    if (buf.messages.length >= MAX_BUFFERED_MESSAGES / 2 || buf.bytes >= MAX_BUFFERED_BYTES / 2) return;
    buf.paused = false;
    this.consumer.resume([{ topic, partitions: [partition] }]);
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
