// The coalescing producer's batching with a fake send: batches by size and linger, one batch in
// flight, each caller settled by its own batch, the queue bound, deadlines and the circuit.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  KafkaUnavailableError,
  ProduceTimeoutError,
  ProducerClosedError,
  QueueFullError,
  RecordsTooLargeError,
} from '../../api/errors.ts';
import {
  createCoalescingProducer,
  type BatchOutcome,
  type CoalescerOptions,
  type OutgoingMessage,
} from '../../api/producer.ts';

const msg = (id: number | string): OutgoingMessage => ({
  topic: 't',
  key: String(id),
  value: `{"id":"${id}"}`,
  headers: {},
  timestamp: '0',
});

const OPTIONS: CoalescerOptions = {
  lingerMs: 20,
  maxBatchRecords: 100,
  maxBatchBytes: 1024 * 1024,
  maxQueueRecords: 1_000,
  queueTimeoutMs: 5_000,
  sendTimeoutMs: 5_000,
  cooldownMs: 200,
};

interface PendingSend {
  messages: OutgoingMessage[];
  resolve(): void;
  reject(err: Error): void;
}

/** A send that the test settles by hand, batch by batch. */
function manualSend() {
  const sends: PendingSend[] = [];
  const send = (messages: OutgoingMessage[]) =>
    new Promise<void>((resolve, reject) => sends.push({ messages, resolve, reject }));
  const keys = () => sends.map((s) => s.messages.map((m) => m.key));
  return { sends, send, keys };
}

/** Settles to 'resolved', 'pending' or the error's name, without awaiting a pending promise. */
async function state(promise: Promise<void>): Promise<string> {
  const marker = Symbol('pending');
  const result = await Promise.race([
    promise.then(
      () => 'resolved',
      (err: Error) => err.name,
    ),
    sleep(0).then(() => marker),
  ]);
  return result === marker ? 'pending' : (result as string);
}

function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

describe('coalescing producer', () => {
  test('records arriving within the linger go out as one batch, in arrival order', async () => {
    const { send, keys, sends } = manualSend();
    const producer = createCoalescingProducer(send, OPTIONS);
    const calls = [
      producer.produce([msg(1)]),
      producer.produce([msg(2), msg(3)]),
      producer.produce([msg(4)]),
    ];
    assert.equal(sends.length, 0, 'nothing is sent before the linger');
    await sleep(OPTIONS.lingerMs + 15);
    assert.deepEqual(keys(), [['1', '2', '3', '4']]);
    sends[0]!.resolve();
    await Promise.all(calls);
  });

  test('a batch that reaches the size limit goes out at once, without waiting for the linger', async () => {
    const { send, keys, sends } = manualSend();
    const producer = createCoalescingProducer(send, { ...OPTIONS, lingerMs: 10_000, maxBatchRecords: 3 });
    const calls = [producer.produce([msg(1), msg(2)]), producer.produce([msg(3)])];
    await sleep(5);
    assert.deepEqual(keys(), [['1', '2', '3']]);
    sends[0]!.resolve();
    await Promise.all(calls);
  });

  test('the byte limit cuts batches too', async () => {
    const { send, sends } = manualSend();
    const producer = createCoalescingProducer(send, { ...OPTIONS, lingerMs: 10_000, maxBatchBytes: 60 });
    const call = producer.produce([msg('a'.repeat(40)), msg('b'.repeat(40))]);
    await sleep(5);
    assert.equal(sends.length, 1, 'over the byte limit: sent without the linger');
    sends[0]!.resolve();
    await call;
  });

  test('one batch in flight: what arrives meanwhile is the next batch, sent when the first is acknowledged', async () => {
    const { send, keys, sends } = manualSend();
    const producer = createCoalescingProducer(send, { ...OPTIONS, lingerMs: 1 });
    const first = producer.produce([msg(1)]);
    await sleep(10);
    const second = [producer.produce([msg(2)]), producer.produce([msg(3)])];
    await sleep(10);
    assert.deepEqual(keys(), [['1']], 'no second send while the first is in flight');
    assert.equal(producer.stats().queuedRecords, 2);
    assert.equal(producer.stats().inFlightRecords, 1);
    sends[0]!.resolve();
    await first;
    await sleep(1);
    assert.deepEqual(keys(), [['1'], ['2', '3']]);
    sends[1]!.resolve();
    await Promise.all(second);
  });

  test("a request's records are never split; batches take whole requests up to the limits", async () => {
    const { send, keys, sends } = manualSend();
    const producer = createCoalescingProducer(send, { ...OPTIONS, lingerMs: 10_000, maxBatchRecords: 4 });
    const blocker = producer.produce([msg('x'), msg('x'), msg('x'), msg('x')]);
    await sleep(5);
    const calls = [
      producer.produce([msg(1), msg(2), msg(3)]),
      producer.produce([msg(4), msg(5)]),
      producer.produce([msg(6), msg(7), msg(8), msg(9), msg(10)]),
    ];
    sends[0]!.resolve();
    await blocker;
    for (let i = 1; i <= 3; i++) {
      await sleep(2);
      sends[i]!.resolve();
    }
    await Promise.all(calls);
    // The 5-record request is larger than the limit: it goes alone, whole.
    assert.deepEqual(keys().slice(1), [
      ['1', '2', '3'],
      ['4', '5'],
      ['6', '7', '8', '9', '10'],
    ]);
  });

  test("each caller is settled by its own batch's outcome", async () => {
    const { send, sends } = manualSend();
    const producer = createCoalescingProducer(send, { ...OPTIONS, lingerMs: 1 });
    const a = quiet(producer.produce([msg(1)]));
    await sleep(10);
    const b = [quiet(producer.produce([msg(2)])), quiet(producer.produce([msg(3)]))];
    sends[0]!.reject(new Error('boom'));
    await sleep(5);
    assert.equal(await state(a), 'Error');
    assert.deepEqual(
      await Promise.all(b.map(state)),
      ['pending', 'pending'],
      'the next batch is not affected',
    );
    sends[1]!.resolve();
    assert.deepEqual(await Promise.all(b.map(state)), ['resolved', 'resolved']);
  });

  test('the queue is bounded: beyond it, QueueFullError at once', async () => {
    const { send, sends } = manualSend();
    const producer = createCoalescingProducer(send, { ...OPTIONS, lingerMs: 1, maxQueueRecords: 3 });
    const inFlight = producer.produce([msg(0)]);
    await sleep(10);
    const queued = producer.produce([msg(1), msg(2), msg(3)]);
    await assert.rejects(producer.produce([msg(4)]), QueueFullError);
    sends[0]!.resolve();
    await inFlight;
    await sleep(1);
    // The queue drained into the next batch: there is room again.
    const later = producer.produce([msg(5)]);
    sends[1]!.resolve();
    await queued;
    await sleep(1);
    sends[2]!.resolve();
    await later;
  });

  test('a request queued past its deadline is dropped with a 503 error and never sent', async () => {
    const { send, keys, sends } = manualSend();
    const producer = createCoalescingProducer(send, { ...OPTIONS, lingerMs: 1, queueTimeoutMs: 30 });
    const inFlight = producer.produce([msg(1)]);
    await sleep(5);
    const stuck = producer.produce([msg(2)]);
    await assert.rejects(stuck, (err) => err instanceof ProduceTimeoutError && err.stage === 'queued');
    assert.equal(producer.stats().queuedRecords, 0);
    sends[0]!.resolve();
    await inFlight;
    await sleep(10);
    assert.deepEqual(keys(), [['1']], 'the expired record was not sent');
  });

  test('many requests expiring behind a hung send are all answered and none is sent later', async () => {
    const { send, keys, sends } = manualSend();
    const producer = createCoalescingProducer(send, {
      ...OPTIONS,
      lingerMs: 1,
      queueTimeoutMs: 20,
      maxQueueRecords: 10_000,
    });
    const hung = producer.produce([msg('hung')]);
    await sleep(5);
    const expiring = Array.from({ length: 2_500 }, (_, i) => quiet(producer.produce([msg(i)])));
    const states = await Promise.all(
      expiring.map((p) =>
        p.then(
          () => 'sent',
          (err: Error) => err.name,
        ),
      ),
    );
    assert.deepEqual(new Set(states), new Set(['ProduceTimeoutError']));
    assert.equal(producer.stats().queuedRecords, 0);
    const next = producer.produce([msg('next')]);
    sends[0]!.resolve();
    await hung;
    await sleep(5);
    assert.deepEqual(keys(), [['hung'], ['next']]);
    sends[1]!.resolve();
    await next;
  });

  test('a send past its deadline answers its callers; the next batch waits until that send settles', async () => {
    const { send, keys, sends } = manualSend();
    const producer = createCoalescingProducer(send, {
      ...OPTIONS,
      lingerMs: 1,
      sendTimeoutMs: 30,
      cooldownMs: 0,
    });
    const hung = producer.produce([msg(1)]);
    await assert.rejects(hung, (err) => err instanceof ProduceTimeoutError && err.stage === 'sending');
    const next = producer.produce([msg(2)]);
    await sleep(10);
    assert.deepEqual(keys(), [['1']], 'no second send while the first may still be in kafkajs');
    sends[0]!.resolve();
    await sleep(5);
    assert.deepEqual(keys(), [['1'], ['2']]);
    sends[1]!.resolve();
    await next;
  });

  test('a Kafka failure opens the circuit: queued and new records get a quick 503, then it closes', async () => {
    const { send, keys, sends } = manualSend();
    const producer = createCoalescingProducer(send, { ...OPTIONS, lingerMs: 1, cooldownMs: 100 });
    const failing = quiet(producer.produce([msg(1)]));
    await sleep(5);
    const queued = quiet(producer.produce([msg(2)]));
    sends[0]!.reject(new KafkaUnavailableError('Kafka send failed', 1));
    await assert.rejects(failing, KafkaUnavailableError);
    await assert.rejects(queued, KafkaUnavailableError);
    assert.equal(producer.stats().circuitOpen, true);
    await assert.rejects(
      producer.produce([msg(3)]),
      (err) => err instanceof KafkaUnavailableError && err.retryAfterSeconds === 1,
    );
    await sleep(120);
    const after = producer.produce([msg(4)]);
    await sleep(5);
    assert.deepEqual(keys(), [['1'], ['4']], 'records refused during the cooldown were never sent');
    sends[1]!.resolve();
    await after;
  });

  test('close() sends what is queued without waiting for the linger, then refuses new records', async () => {
    const sent: string[][] = [];
    const producer = createCoalescingProducer(
      async (messages) => {
        sent.push(messages.map((m) => m.key));
      },
      { ...OPTIONS, lingerMs: 10_000 },
    );
    const pending = producer.produce([msg(1), msg(2)]);
    const started = Date.now();
    await producer.close();
    await pending;
    assert.ok(Date.now() - started < 1_000);
    assert.deepEqual(sent, [['1', '2']]);
    await assert.rejects(producer.produce([msg(3)]), ProducerClosedError);
  });

  test('reports every batch: its size, duration and outcome', async () => {
    const outcomes: BatchOutcome[] = [];
    let fail = false;
    const producer = createCoalescingProducer(
      async () => {
        if (fail) throw new KafkaUnavailableError('down', 1);
      },
      { ...OPTIONS, lingerMs: 1, cooldownMs: 0, onBatch: (o) => outcomes.push(o) },
    );
    await Promise.all([producer.produce([msg(1), msg(2)]), producer.produce([msg(3)])]);
    fail = true;
    await assert.rejects(producer.produce([msg(4)]));
    assert.deepEqual(
      outcomes.map((o) => [o.records, o.ok]),
      [
        [3, true],
        [1, false],
      ],
    );
    assert.ok(outcomes.every((o) => o.bytes > 0 && o.durationMs >= 0));
  });

  test('a send that throws synchronously still settles its callers', async () => {
    const producer = createCoalescingProducer(
      () => {
        throw new TypeError('bug');
      },
      { ...OPTIONS, lingerMs: 1 },
    );
    await assert.rejects(producer.produce([msg(1)]), TypeError);
    assert.equal(producer.stats().circuitOpen, false, 'a bug is not a Kafka outage');
  });

  test('records Kafka refuses as too large get a 413 alone: the others of their batch land, no cooldown', async () => {
    const sent: string[][] = [];
    const producer = createCoalescingProducer(
      async (messages) => {
        sent.push(messages.map((m) => m.key));
        if (messages.some((m) => m.key === 'big')) throw new RecordsTooLargeError(1_048_588);
      },
      { ...OPTIONS, lingerMs: 10 },
    );
    const [small, big, other] = [
      producer.produce([msg(1), msg(2)]),
      producer.produce([msg('big')]),
      producer.produce([msg(3)]),
    ];
    assert.equal(await state(small), 'pending');
    await Promise.allSettled([small, big, other]);
    assert.equal(await state(small), 'resolved');
    assert.equal(await state(other), 'resolved');
    await assert.rejects(big, (err: unknown) => {
      assert.ok(err instanceof RecordsTooLargeError);
      assert.equal(err.status, 413);
      assert.match(err.message, /1048588 bytes/);
      return true;
    });
    // One coalesced batch, then each request on its own.
    assert.deepEqual(sent, [['1', '2', 'big', '3'], ['1', '2'], ['big'], ['3']]);
    assert.equal(producer.stats().circuitOpen, false, 'one request too large is not a Kafka outage');
    await producer.produce([msg(4)]);
  });
});
