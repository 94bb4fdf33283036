// What `stream:status`, `/v1/pipeline/status` and the dashboard say about a stream. The workflow's
// status query says what it is doing; it cannot say how far behind Kafka it is now (its figures are
// those of its last committed batch) nor answer without a worker. So the lag is measured here, from
// Kafka's current high watermarks and the checkpoints in PostgreSQL, and a stream that does not
// answer shows the signals still waiting for a worker (a stop sent while none ran, say).
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Admin, Kafka } from 'kafkajs';
import pg from 'pg';
import {
  defaultShardCount,
  ownsPartition,
  SINGLE_SHARD,
  streamShards,
  statusQuery,
  type StreamPartitionStatus,
  type StreamShard,
  type StreamView,
} from '../domain/stream-wire.ts';
import type { Entity } from '../domain/wire.ts';
import type { Pool } from './db.ts';

/** How long each question (the query, the lag, the history) may take before it is given up. */
const DEADLINE_MS = 2_000;

export interface StreamStatusDeps {
  temporal: Client;
  pool: Pool;
  /** A connected admin client (connected on first use by a long-lived caller). */
  admin: () => Promise<Admin>;
  /** STREAM_SCHEMA: where stream_offsets lives. */
  schema: string;
}

export interface StreamRef {
  stream: string;
  entity: Entity;
  topic: string;
  workflowId: string;
  /** Which of the stream's shards (its partitions); one shard when absent. */
  shard?: StreamShard;
}

/**
 * An admin client connected on first use, and again after a failed connect: a process that starts
 * while Kafka is down still answers, and measures lag once Kafka is back.
 */
export function lazyAdmin(kafka: Kafka): { admin: () => Promise<Admin>; close: () => Promise<void> } {
  const admin = kafka.admin();
  let connected: Promise<Admin> | undefined;
  return {
    admin() {
      connected ??= admin.connect().then(
        () => admin,
        (err: unknown) => {
          connected = undefined;
          throw err;
        },
      );
      return connected;
    },
    close: () => admin.disconnect(),
  };
}

/** "Failed to query Workflow: 4 DEADLINE_EXCEEDED: …": the SDK's message says little without its causes. */
export function errorCauses(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 4; e = e.cause) parts.push(e.message);
  return parts.length ? parts.join(': ') : String(err);
}

/** The gRPC status of a @temporalio/client ServiceError (14 UNAVAILABLE, 4 DEADLINE_EXCEEDED, …). */
export function temporalGrpcStatus(err: unknown): number | undefined {
  const e = err as { name?: unknown; code?: unknown; cause?: { code?: unknown } };
  const code = e.cause?.code ?? e.code;
  return e.name === 'ServiceError' && typeof code === 'number' ? code : undefined;
}

function within<T>(what: string, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${DEADLINE_MS} ms`)), DEADLINE_MS);
  });
  return Promise.race([fn(), timeout]).finally(() => clearTimeout(timer));
}

/** Each partition's checkpoint against Kafka's high watermark, now. */
export async function liveLag(
  deps: Pick<StreamStatusDeps, 'pool' | 'admin' | 'schema'>,
  ref: Pick<StreamRef, 'stream' | 'topic' | 'shard'>,
): Promise<StreamPartitionStatus[]> {
  const [all, { rows }] = await Promise.all([
    deps.admin().then((admin) => admin.fetchTopicOffsets(ref.topic)),
    deps.pool.query<{ partition: number; next_offset: string }>(
      `SELECT partition, next_offset FROM ${pg.escapeIdentifier(deps.schema)}.stream_offsets
       WHERE stream = $1 AND topic = $2`,
      [ref.stream, ref.topic],
    ),
  ]);
  const next = new Map(rows.map((r) => [r.partition, BigInt(r.next_offset)]));
  return all
    .filter((w) => ownsPartition(ref.shard, w.partition))
    .map((w) => {
      const high = BigInt(w.high);
      // A partition the stream has not checkpointed yet starts at its first offset.
      const at = next.get(w.partition) ?? BigInt(w.low);
      const lag = high > at ? high - at : 0n;
      return { partition: w.partition, nextOffset: at.toString(), highWatermark: w.high, lag: Number(lag) };
    })
    .sort((a, b) => a.partition - b.partition);
}

/** Signals in the history after the last workflow task a worker completed: sent, not yet taken. */
async function pendingSignals(temporal: Client, workflowId: string): Promise<string[]> {
  const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const pending: string[] = [];
  for (const e of events) {
    if (e.workflowTaskCompletedEventAttributes) pending.length = 0;
    const signal = e.workflowExecutionSignaledEventAttributes?.signalName;
    if (signal) pending.push(signal);
  }
  return pending;
}

export async function readStreamStatus(deps: StreamStatusDeps, ref: StreamRef): Promise<StreamView> {
  const handle = deps.temporal.workflow.getHandle(ref.workflowId);
  const [status, lag] = await Promise.allSettled([
    // A query waits for a worker to answer it: with none running it would hang the whole answer.
    deps.temporal.withDeadline(Date.now() + DEADLINE_MS, () => handle.query(statusQuery)),
    within('measuring the lag', () => liveLag(deps, ref)),
  ]);
  const view: StreamView = {
    stream: ref.stream,
    shard: ref.shard ?? SINGLE_SHARD,
    entity: ref.entity,
    workflowId: ref.workflowId,
    state: 'not answering',
    status: null,
    lag: null,
    partitions: [],
  };
  if (status.status === 'fulfilled') {
    view.status = status.value;
    view.state = status.value.state;
    view.partitions = status.value.partitions;
  } else {
    const message = errorCauses(status.reason);
    const notRunning = status.reason instanceof WorkflowNotFoundError || /not found|closed/i.test(message);
    // Temporal itself unreachable: the caller says so (503); this stream alone is not the question.
    if (!notRunning && temporalGrpcStatus(status.reason) === 14) throw status.reason;
    view.state = notRunning ? 'not running' : 'not answering';
    if (!notRunning) {
      view.error = message;
      view.pendingSignals = await within('reading the history', () =>
        pendingSignals(deps.temporal, ref.workflowId),
      ).catch(() => undefined);
    }
  }
  if (lag.status === 'fulfilled') {
    view.partitions = lag.value;
    view.lag = lag.value.reduce((n, p) => n + p.lag, 0);
  } else {
    view.lagError = errorCauses(lag.reason);
  }
  return view;
}

/**
 * The shards a stream is made of: those running now (found by their StreamName and the shard each
 * was started with, in its memo), or, when none runs, the ones `STREAM_SHARDS` (or the topic's
 * partition count) gives. Running shards win: a stream started with another count is shown, paused
 * and stopped as it runs, which is what re-sharding needs (stop, change, start).
 */
export async function streamShardsOf(
  deps: Pick<StreamStatusDeps, 'temporal' | 'admin'>,
  ref: Pick<StreamRef, 'stream' | 'topic'>,
  configured: number | undefined,
): Promise<StreamShard[]> {
  const running = await runningShards(deps.temporal, ref.stream);
  if (running.length > 0) return running;
  return streamShards(await shardCount(deps, ref.topic, configured));
}

/** `STREAM_SHARDS`, or one shard per PARTITIONS_PER_SHARD partitions of the topic (one if Kafka does not answer). */
export async function shardCount(
  deps: Pick<StreamStatusDeps, 'admin'>,
  topic: string,
  configured: number | undefined,
): Promise<number> {
  if (configured !== undefined) return configured;
  const partitions = await within('reading the topic', async () => {
    const { topics } = await (await deps.admin()).fetchTopicMetadata({ topics: [topic] });
    return topics[0]?.partitions.length ?? 1;
  }).catch(() => 1);
  return defaultShardCount(partitions);
}

/** The running workflows of a stream, by the shard in their memo (none: a stream from before shards). */
export async function runningShards(temporal: Client, stream: string): Promise<StreamShard[]> {
  const query = `StreamName = '${stream.replace(/'/g, '')}' AND ExecutionStatus = 'Running'`;
  const shards = new Map<number, StreamShard>();
  const listed = within('listing the stream shards', async () => {
    for await (const run of temporal.workflow.list({ query })) {
      const shard = (run.memo as { shard?: StreamShard } | undefined)?.shard ?? SINGLE_SHARD;
      shards.set(shard.index, shard);
    }
  });
  await listed.catch(() => undefined);
  return [...shards.values()].sort((a, b) => a.index - b.index);
}
