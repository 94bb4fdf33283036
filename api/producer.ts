// Coalesces the records of concurrent requests into few large Kafka sends. kafkajs does no
// client-side batching (one awaited send per record tops out near 2k/s), and its idempotent
// producer keeps one request in flight per broker anyway: so one batch is in flight at a time,
// and whatever arrives meanwhile becomes the next batch. Each request's promise settles with the
// outcome of the one batch that carried all of its records.
import {
  KafkaUnavailableError,
  ProduceTimeoutError,
  ProducerClosedError,
  QueueFullError,
  RecordsTooLargeError,
} from './errors.ts';

export interface OutgoingMessage {
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
  /** Milliseconds since the epoch, as a string (kafkajs's message timestamp). */
  timestamp: string;
}

/** Sends one batch; resolves once Kafka acknowledged every message of it. */
export type SendBatch = (messages: OutgoingMessage[]) => Promise<void>;

export interface BatchOutcome {
  records: number;
  bytes: number;
  durationMs: number;
  ok: boolean;
}

export interface CoalescerOptions {
  /** How long the first record of an idle producer waits for company. */
  lingerMs: number;
  /** A batch is sent at once when it reaches this many records or bytes. */
  maxBatchRecords: number;
  maxBatchBytes: number;
  /** Records waiting for a send; beyond this, requests get QueueFullError (503). */
  maxQueueRecords: number;
  /** A request still queued after this is dropped from the queue (never sent) with a 503. */
  queueTimeoutMs: number;
  /** A batch not acknowledged after this answers its requests with a 503. */
  sendTimeoutMs: number;
  /** After a failed batch, new records are refused this long instead of piling up. */
  cooldownMs: number;
  onBatch?: (outcome: BatchOutcome) => void;
}

export interface ProducerStats {
  queuedRecords: number;
  inFlightRecords: number;
  circuitOpen: boolean;
}

export interface RecordProducer {
  /** Resolves when Kafka has every message; rejects with one of api/errors.ts's 503 errors. */
  produce(messages: OutgoingMessage[]): Promise<void>;
  stats(): ProducerStats;
  /** Refuses new records, sends what is queued, waits for the batch in flight. */
  close(): Promise<void>;
}

interface Entry {
  messages: OutgoingMessage[];
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  /** Taken into a batch or timed out: no longer counted in the queue. */
  done: boolean;
}

function messageBytes(m: OutgoingMessage): number {
  let n = Buffer.byteLength(m.value) + m.key.length + 16;
  for (const name in m.headers) n += name.length + (m.headers[name]?.length ?? 0);
  return n;
}

type Settled = { ok: true } | { ok: false; error: Error } | { ok: false; timedOut: true };

function settleWithin(promise: Promise<void>, ms: number): Promise<Settled> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, timedOut: true }), ms);
    promise.then(
      () => resolve({ ok: true }),
      (err: unknown) => resolve({ ok: false, error: err instanceof Error ? err : new Error(String(err)) }),
    );
    void promise.finally(() => clearTimeout(timer)).catch(() => undefined);
  });
}

export function createCoalescingProducer(send: SendBatch, options: CoalescerOptions): RecordProducer {
  return new CoalescingProducer(send, options);
}

class CoalescingProducer implements RecordProducer {
  private queue: Entry[] = [];
  private queuedRecords = 0;
  private queuedBytes = 0;
  private inFlightRecords = 0;
  private inFlight: Promise<void> | undefined;
  private linger: NodeJS.Timeout | undefined;
  private openUntil = 0;
  private closed = false;
  /** Expired entries still in `queue` (upper bound). */
  private expired = 0;

  private readonly send: SendBatch;
  private readonly opts: CoalescerOptions;
  constructor(send: SendBatch, opts: CoalescerOptions) {
    this.send = send;
    this.opts = opts;
  }

  produce(messages: OutgoingMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(new ProducerClosedError());
    const waitMs = this.openUntil - Date.now();
    if (waitMs > 0) {
      return Promise.reject(
        new KafkaUnavailableError('Kafka failed a moment ago; not sending', Math.ceil(waitMs / 1000)),
      );
    }
    if (this.queuedRecords + messages.length > this.opts.maxQueueRecords) {
      return Promise.reject(new QueueFullError(this.queuedRecords, this.opts.maxQueueRecords));
    }
    return new Promise<void>((resolve, reject) => {
      let bytes = 0;
      for (const m of messages) bytes += messageBytes(m);
      const timer = setTimeout(() => this.expire(entry), this.opts.queueTimeoutMs);
      const entry: Entry = { messages, bytes, resolve, reject, timer, done: false };
      this.queue.push(entry);
      this.queuedRecords += messages.length;
      this.queuedBytes += entry.bytes;
      this.schedule();
    });
  }

  stats(): ProducerStats {
    return {
      queuedRecords: this.queuedRecords,
      inFlightRecords: this.inFlightRecords,
      circuitOpen: this.openUntil > Date.now(),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.inFlight || this.queuedRecords > 0) {
      this.flush();
      await this.inFlight;
    }
  }

  private schedule(): void {
    if (this.inFlight) return;
    const full =
      this.queuedRecords >= this.opts.maxBatchRecords || this.queuedBytes >= this.opts.maxBatchBytes;
    if (full) this.flush();
    else this.linger ??= setTimeout(() => this.flush(), this.opts.lingerMs);
  }

  private expire(entry: Entry): void {
    if (entry.done) return;
    this.dequeue(entry);
    entry.reject(new ProduceTimeoutError('queued', this.opts.queueTimeoutMs));
    // Behind a hung send, expired requests pile up in the queue: drop them once they are most of it.
    if (++this.expired > 1_000 && this.expired > this.queue.length / 2) {
      this.queue = this.queue.filter((e) => !e.done);
      this.expired = 0;
    }
  }

  private dequeue(entry: Entry): void {
    entry.done = true;
    clearTimeout(entry.timer);
    this.queuedRecords -= entry.messages.length;
    this.queuedBytes -= entry.bytes;
  }

  /** Takes whole requests from the head of the queue up to the batch limits (at least one). */
  private take(): Entry[] {
    const batch: Entry[] = [];
    let records = 0;
    let bytes = 0;
    let i = 0;
    for (; i < this.queue.length; i++) {
      const entry = this.queue[i]!;
      if (entry.done) continue;
      const over =
        records + entry.messages.length > this.opts.maxBatchRecords ||
        bytes + entry.bytes > this.opts.maxBatchBytes;
      if (over && batch.length > 0) break;
      batch.push(entry);
      records += entry.messages.length;
      bytes += entry.bytes;
    }
    this.queue.splice(0, i);
    if (this.queue.length === 0) this.expired = 0;
    for (const entry of batch) this.dequeue(entry);
    return batch;
  }

  private flush(): void {
    clearTimeout(this.linger);
    this.linger = undefined;
    if (this.inFlight || this.queuedRecords === 0) return;
    const batch = this.take();
    this.inFlight = this.sendBatch(batch).finally(() => {
      this.inFlight = undefined;
      this.inFlightRecords = 0;
      // What queued up during the send is the next batch: no linger.
      if (this.queuedRecords > 0) this.flush();
    });
  }

  private async sendBatch(batch: Entry[]): Promise<void> {
    const messages = batch.length === 1 ? batch[0]!.messages : batch.flatMap((e) => e.messages);
    const bytes = batch.reduce((n, e) => n + e.bytes, 0);
    this.inFlightRecords = messages.length;
    const started = performance.now();
    // Deferred so that a send that throws synchronously still settles this batch.
    const sending = Promise.resolve().then(() => this.send(messages));
    const result = await settleWithin(sending, this.opts.sendTimeoutMs);
    const outcome = {
      records: messages.length,
      bytes,
      durationMs: performance.now() - started,
      ok: result.ok,
    };
    if (!result.ok && 'error' in result && result.error instanceof RecordsTooLargeError && batch.length > 1) {
      // Kafka refused the coalesced batch as too large: send each request on its own, so that only
      // the one whose records are too large is refused (413), and nobody else waits a cooldown.
      for (const entry of batch) await this.sendBatch([entry]);
      return;
    }
    if (result.ok) {
      for (const entry of batch) entry.resolve();
    } else {
      const error =
        'error' in result ? result.error : new ProduceTimeoutError('sending', this.opts.sendTimeoutMs);
      for (const entry of batch) entry.reject(error);
      if (error instanceof KafkaUnavailableError || error instanceof ProduceTimeoutError) this.trip();
    }
    this.opts.onBatch?.(outcome);
    // A timed-out send may still be retrying inside kafkajs: the next batch waits for it to settle.
    if (!result.ok && !('error' in result)) await sending.catch(() => undefined);
  }

  /** Opens the circuit: what is queued and what arrives during the cooldown gets a quick 503. */
  private trip(): void {
    this.openUntil = Date.now() + this.opts.cooldownMs;
    const retryAfter = Math.max(1, Math.ceil(this.opts.cooldownMs / 1000));
    for (const entry of this.queue) {
      if (entry.done) continue;
      this.dequeue(entry);
      entry.reject(new KafkaUnavailableError('Kafka failed the batch ahead of these records', retryAfter));
    }
    this.queue = [];
  }
}
