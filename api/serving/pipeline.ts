// The pipeline's own state for the serving layer: streams (their status query), recent batch days,
// the daily Schedule, the ingest rate, and links into the Temporal UI.
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import type { Admin } from 'kafkajs';
import pg from 'pg';
import { ENTITY } from '../../domain/entities.ts';
import { shardWorkflowId, streamName, type StreamShard } from '../../domain/stream-wire.ts';
import { ENTITIES, entityTopic, type Entity } from '../../domain/wire.ts';
import type { Pool } from '../../infra/db.ts';
import { readStreamStatus, streamShardsOf } from '../../infra/stream-status.ts';
import { scheduleUrl, workflowUrl } from '../../infra/temporal.ts';
import type { PipelineStatus, PostsPerMinuteAnswer } from './contract.ts';

const q = pg.escapeIdentifier;

export interface PipelineDeps {
  pool: Pool;
  temporal: Client;
  /** For the streams' lag against Kafka's current high watermarks. */
  kafkaAdmin: () => Promise<Admin>;
  namespace: string;
  uiUrl: string;
  /** STREAM_ID_PREFIX: the streams' workflow ids are `${prefix}stream-<entity>`. */
  streamIdPrefix: string;
  /** STREAM_SHARDS: the shards of a stream that is not running (a running one shows the shards it runs). */
  streamShards?: number;
  /** KAFKA_TOPIC_PREFIX: the topics the streams read. */
  topicPrefix: string;
  /** BATCH_SCHEDULE_ID: the daily Schedule the workers of this deployment register. */
  scheduleId: string;
  schemas: { batch: string; speed: string };
  /** Records the API has produced to Kafka since it started (a monotonic counter). */
  recordsProduced: () => Promise<number>;
}

type StreamRow = PipelineStatus['streams'][number];

/**
 * What the status answer says of a stream whose status query failed: one of two stable sentences,
 * never Temporal's own text (addresses, internals); `npm run stream:status` shows the full error.
 */
export function publicStreamError(message: string): string {
  // Every way gRPC, the server and the SDK say a call ran out of time (or was cut short at its deadline).
  return /DEADLINE_EXCEEDED|deadline|CANCELLED|took over|timed? ?out|timeout/i.test(message)
    ? 'no worker answered its status query in time: is a worker running?'
    : 'its status query failed: see npm run stream:status';
}

/** The lag could not be measured (Kafka or PostgreSQL did not answer in time). */
export const LAG_UNKNOWN = 'the lag could not be measured: Kafka or PostgreSQL did not answer';

/** Every shard of the three streams side by side: a worker-less wait costs one deadline, not one each. */
async function streams(deps: PipelineDeps): Promise<StreamRow[]> {
  const perEntity = await Promise.all(
    ENTITIES.map(async (entity) => {
      const stream = streamName(entity, deps.streamIdPrefix);
      const topic = entityTopic(deps.topicPrefix, entity);
      const shards = await streamShardsOf(
        { temporal: deps.temporal, admin: deps.kafkaAdmin },
        { stream, topic },
        deps.streamShards,
      );
      return Promise.all(shards.map((shard) => streamStatus(deps, entity, stream, shard)));
    }),
  );
  return perEntity.flat();
}

async function streamStatus(
  deps: PipelineDeps,
  entity: Entity,
  stream: string,
  shard: StreamShard,
): Promise<StreamRow> {
  const id = shardWorkflowId(stream, shard);
  const v = await readStreamStatus(
    { temporal: deps.temporal, pool: deps.pool, admin: deps.kafkaAdmin, schema: deps.schemas.speed },
    { stream, entity, topic: entityTopic(deps.topicPrefix, entity), workflowId: id, shard },
  );
  const s = v.status;
  return {
    stream: id,
    entity,
    shard,
    state: v.state,
    ...(v.error === undefined ? {} : { error: publicStreamError(v.error) }),
    ...(v.pendingSignals === undefined ? {} : { pendingSignals: v.pendingSignals }),
    lag: v.lag,
    ...(v.lagError === undefined ? {} : { lagError: LAG_UNKNOWN }),
    read: s?.totals.read ?? 0,
    deadLettered: s?.totals.deadLettered ?? 0,
    freshnessMs: s?.lastBatch?.maxFreshnessMs ?? null,
    lastBatchMs: s?.lastBatch?.durationMs ?? null,
    retrying: s?.retrying ?? null,
    partitions: v.partitions,
    url: workflowUrl(deps.uiUrl, deps.namespace, id),
  };
}

async function batchDays(deps: PipelineDeps): Promise<PipelineStatus['batchDays']> {
  const { rows } = await deps.pool.query<{
    dt: string;
    status: string;
    workflow_id: string;
    run_id: string;
    records_exported: string | null;
    records_cleaned: string | null;
    records_rejected: string | null;
    finished_at: Date | null;
    last_failure: { error?: string; at?: string } | null;
  }>(
    `SELECT to_char(dt, 'YYYY-MM-DD') AS dt, status, workflow_id, run_id, records_exported, records_cleaned,
            records_rejected, finished_at, last_failure
     FROM ${q(deps.schemas.batch)}.days ORDER BY dt DESC LIMIT 14`,
  );
  const num = (v: string | null) => (v === null ? null : Number(v));
  return rows.map((r) => ({
    dt: r.dt,
    status: r.status,
    recordsExported: num(r.records_exported),
    recordsCleaned: num(r.records_cleaned),
    recordsRejected: num(r.records_rejected),
    finishedAt: r.finished_at?.toISOString() ?? null,
    lastFailure: r.last_failure?.error ?? null,
    url: workflowUrl(deps.uiUrl, deps.namespace, r.workflow_id, r.run_id),
  }));
}

async function schedule(deps: PipelineDeps): Promise<PipelineStatus['schedule']> {
  try {
    const d = await deps.temporal.schedule.getHandle(deps.scheduleId).describe();
    return {
      id: deps.scheduleId,
      paused: d.state.paused,
      nextRuns: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
      url: scheduleUrl(deps.uiUrl, deps.namespace, deps.scheduleId),
    };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  }
}

/** The ingest rate between two calls, from the API's produced-records counter. */
function ingestRate(counter: () => Promise<number>) {
  let last: { at: number; value: number } | undefined;
  return async (): Promise<PipelineStatus['ingest']> => {
    const now = { at: Date.now(), value: await counter() };
    const rate = last && now.at > last.at ? ((now.value - last.value) * 1000) / (now.at - last.at) : null;
    last = now;
    return { recordsProduced: now.value, ratePerSecond: rate === null ? null : Math.round(rate) };
  };
}

export function createPipelineStatus(deps: PipelineDeps) {
  const rate = ingestRate(deps.recordsProduced);
  return {
    async pipelineStatus(): Promise<PipelineStatus> {
      const parts = [streams(deps), batchDays(deps), schedule(deps), rate()] as const;
      // Every part settles before the answer: one failing (PostgreSQL down) must not leave Temporal
      // calls running past the request, or close() shuts their channel and their retry throws uncaught.
      await Promise.allSettled(parts);
      const [s, days, sched, ingest] = await Promise.all(parts);
      return {
        generatedAt: new Date().toISOString(),
        temporalUiUrl: deps.uiUrl,
        streams: s,
        batchDays: days,
        schedule: sched,
        ingest,
      };
    },

    /** Events per minute and entity that the speed layer holds, for the last `minutes` minutes. */
    async postsPerMinute(minutes: number): Promise<PostsPerMinuteAnswer> {
      const sp = q(deps.schemas.speed);
      const recent = ENTITIES.map(
        (e) =>
          `SELECT ${pg.escapeLiteral(e)} AS entity, date_trunc('minute', event_time) AS minute
           FROM ${sp}.${q(ENTITY[e].table)} WHERE event_time >= now() - make_interval(mins => $1)`,
      );
      const counts = ENTITIES.map(
        (e) => `count(*) FILTER (WHERE e.entity = ${pg.escapeLiteral(e)})::int AS ${q(e)}`,
      );
      const { rows } = await deps.pool.query<{ minute: Date } & Record<Entity, number>>(
        `WITH m AS (
           SELECT generate_series(date_trunc('minute', now()) - make_interval(mins => $1 - 1),
                                  date_trunc('minute', now()), interval '1 minute') AS minute),
         e AS (${recent.join(' UNION ALL ')})
         SELECT m.minute, ${counts.join(', ')}
         FROM m LEFT JOIN e USING (minute) GROUP BY m.minute ORDER BY m.minute`,
        [minutes],
      );
      return {
        sources: {
          batch: { throughDay: null, posts: 0 },
          speed: { since: rows[0]?.minute.toISOString() ?? null, posts: rows.reduce((n, r) => n + r.pin, 0) },
          generatedAt: new Date().toISOString(),
        },
        rows: rows.map((r) => ({ minute: r.minute.toISOString(), pin: r.pin, geo: r.geo, user: r.user })),
      };
    },
  };
}
