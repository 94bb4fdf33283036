// The faults of a chaos run, each injected at a seeded random moment, and how long the pipeline took
// to be healthy again after it: the API ready, S3 answering, and every stream caught up with Kafka.
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { WorkflowHandle } from '@temporalio/client';
import pg from 'pg';
import { readDayArchive } from '../../activities/batch/archive.ts';
import type { BatchDay } from '../../domain/batch-keys.ts';
import { streamName } from '../../domain/stream-wire.ts';
import { ENTITIES, entityTopic, SEARCH_ATTRIBUTES, type Entity } from '../../domain/wire.ts';
import { batchDay } from '../../workflows/batch-day.ts';
import type { ChaosEnvironment } from './environment.ts';
import type { Witness } from './witness.ts';

export const FAULT_KINDS = [
  'worker-kill',
  'api-kill',
  'kafka-kill',
  'postgres-stop',
  's3-stop',
  'batch-day',
  'retention',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** How often each kind is picked, relative to the others. */
const WEIGHTS: Record<FaultKind, number> = {
  'worker-kill': 2,
  'api-kill': 2,
  'kafka-kill': 1.5,
  'postgres-stop': 1.5,
  's3-stop': 1,
  'batch-day': 2,
  retention: 1,
};

/** Recovery is measured for these: the pipeline was hurt and must heal. */
const HURTING: ReadonlySet<FaultKind> = new Set([
  'worker-kill',
  'api-kill',
  'kafka-kill',
  'postgres-stop',
  's3-stop',
]);

export const RECOVERY_LIMIT_MS = 60_000;

export interface FaultRecord {
  kind: FaultKind;
  /** When it was injected, and when the broken part was back (restarted, replaced). */
  at: number;
  restoredAt: number;
  /** From the injection (a kill) or the restore (an outage) until healthy; null if never healthy. */
  recoveryMs?: number | null;
  note?: string;
}

export function pickFault(random: () => number): FaultKind {
  const total = FAULT_KINDS.reduce((n, k) => n + WEIGHTS[k], 0);
  let x = random() * total;
  for (const kind of FAULT_KINDS) {
    x -= WEIGHTS[kind];
    if (x < 0) return kind;
  }
  return 'batch-day';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FaultInjector {
  readonly batchRuns: {
    id: string;
    started: number;
    result: Promise<{ ok: boolean; type?: string; message?: string }>;
  }[] = [];
  private batchRunN = 0;

  private readonly env: ChaosEnvironment;
  private readonly witness: Witness;
  private readonly random: () => number;
  private readonly day: () => BatchDay;
  constructor(env: ChaosEnvironment, witness: Witness, random: () => number, day: () => BatchDay) {
    this.env = env;
    this.witness = witness;
    this.random = random;
    this.day = day;
  }

  /** Injects one fault and, for one that hurts, waits until the pipeline is healthy again. */
  async inject(kind: FaultKind): Promise<FaultRecord> {
    const at = Date.now();
    const outageMs = 2_000 + Math.floor(this.random() * 8_000);
    let note: string | undefined;
    switch (kind) {
      case 'worker-kill': {
        const i = Math.floor(this.random() * this.env.workers.length);
        this.env.workers[i]!.kill();
        this.env.workers[i] = await this.env.group.startWorker();
        break;
      }
      case 'api-kill':
        this.env.api.kill();
        this.env.api = await this.env.group.startApi();
        break;
      case 'kafka-kill':
        await this.env.kafkaServer.kill();
        await sleep(outageMs);
        await this.env.kafkaServer.start();
        break;
      case 'postgres-stop':
        await this.env.postgresServer.stop();
        await sleep(outageMs);
        await this.env.postgresServer.start();
        break;
      case 's3-stop':
        await this.env.s3Server.stop();
        await sleep(outageMs);
        await this.env.s3Server.start();
        break;
      case 'batch-day':
        note = this.startBatchDay();
        break;
      case 'retention':
        note = await this.deleteOldRecords();
        break;
    }
    const restoredAt = Date.now();
    const record: FaultRecord = { kind, at, restoredAt, ...(note ? { note } : {}) };
    if (HURTING.has(kind)) {
      const from = kind.endsWith('-kill') && kind !== 'kafka-kill' ? at : restoredAt;
      const healthyAt = await this.healthySince(from);
      record.recoveryMs = healthyAt === null ? null : healthyAt - from;
    }
    return record;
  }

  /** A BatchDay of the current day under an id of its own: it runs as the day, or waits for it. */
  startBatchDay(): string {
    const id = `${this.env.id}-run-${++this.batchRunN}`;
    const day = this.day();
    const started = Date.now();
    const run = this.env.temporal.workflow.start(batchDay, {
      workflowId: id,
      taskQueue: this.env.config.PIPELINE_TASK_QUEUE,
      args: [{ date: day, idPrefix: this.env.config.BATCH_ID_PREFIX }],
      typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.batchDate, value: day }],
    });
    const result = run
      .then((handle: WorkflowHandle<typeof batchDay>) => handle.result())
      .then(
        () => ({ ok: true }),
        (err: unknown) => {
          let cause: unknown = err;
          while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
          return {
            ok: false,
            type: (cause as { type?: string }).type ?? (cause as Error).name,
            message: (cause as Error).message,
          };
        },
      );
    this.batchRuns.push({ id, started, result });
    return id;
  }

  /**
   * What retention does, within what the pipeline guarantees: deletes the oldest records of each
   * partition, up to what the stream has applied, the witness has seen, and the day's archive holds.
   */
  private async deleteOldRecords(): Promise<string> {
    const { config, admin, pool } = this.env;
    const deleted: string[] = [];
    for (const entity of ENTITIES) {
      const topic = entityTopic(config.KAFKA_TOPIC_PREFIX, entity);
      const stream = streamName(entity, config.STREAM_ID_PREFIX);
      const [watermarks, checkpoints, archive] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        pool.query<{ partition: number; next: string }>(
          `SELECT partition, next_offset AS next FROM ${pg.escapeIdentifier(config.STREAM_SCHEMA)}.stream_offsets WHERE stream = $1`,
          [stream],
        ),
        readDayArchive(
          { s3: this.env.s3, name: config.S3_BUCKET },
          config.BATCH_S3_PREFIX,
          entity,
          topic,
          this.day(),
        ),
      ]).catch(() => [undefined, undefined, undefined] as const);
      if (!watermarks || !checkpoints || !archive) return 'skipped: a service was down';
      const partitions = watermarks.flatMap((w) => {
        const applied = Number(checkpoints.rows.find((r) => r.partition === w.partition)?.next ?? 0);
        const archived = Number(archive.get(w.partition)?.endOffset ?? 0);
        const upTo = Math.min(applied, archived, this.witness.position(entity, w.partition));
        return upTo > Number(w.low) ? [{ partition: w.partition, offset: String(upTo) }] : [];
      });
      if (partitions.length === 0) continue;
      await admin.deleteTopicRecords({ topic, partitions });
      deleted.push(`${entity} ${partitions.map((p) => `p${p.partition}<${p.offset}`).join(' ')}`);
    }
    return deleted.length ? `deleted ${deleted.join('; ')}` : 'nothing old enough to delete';
  }

  /**
   * When the API is ready, S3 answers, and every stream has caught up with what Kafka held at `from`
   * (the records written before the fault healed are applied); null after twice the limit.
   */
  async healthySince(from: number): Promise<number | null> {
    const deadline = from + RECOVERY_LIMIT_MS * 2;
    let targets: Map<Entity, Map<number, number>> | undefined;
    while (Date.now() < deadline) {
      targets ??= await this.highWatermarks().catch(() => undefined);
      const ok =
        targets !== undefined &&
        (await Promise.all([this.apiReady(), this.s3Ready(), this.streamsReached(targets)]).then(
          (all) => all.every(Boolean),
          () => false,
        ));
      if (ok) return Date.now();
      await sleep(250);
    }
    return null;
  }

  private async highWatermarks(): Promise<Map<Entity, Map<number, number>>> {
    const { admin, config } = this.env;
    const entries = await Promise.all(
      ENTITIES.map(async (e) => {
        const offsets = await admin.fetchTopicOffsets(entityTopic(config.KAFKA_TOPIC_PREFIX, e));
        return [e, new Map(offsets.map((o) => [o.partition, Number(o.high)]))] as const;
      }),
    );
    return new Map(entries);
  }

  private async streamsReached(targets: Map<Entity, Map<number, number>>): Promise<boolean> {
    const { config, pool } = this.env;
    for (const entity of ENTITIES) {
      const { rows } = await pool.query<{ partition: number; next: string }>(
        `SELECT partition, next_offset AS next FROM ${pg.escapeIdentifier(config.STREAM_SCHEMA)}.stream_offsets
         WHERE stream = $1`,
        [streamName(entity, config.STREAM_ID_PREFIX)],
      );
      for (const [partition, high] of targets.get(entity) ?? new Map<number, number>()) {
        const next = Number(rows.find((r) => r.partition === partition)?.next ?? 0);
        if (next < high) return false;
      }
    }
    return true;
  }

  private async apiReady(): Promise<boolean> {
    const res = await fetch(`http://127.0.0.1:${this.env.config.API_PORT}/readyz`, {
      signal: AbortSignal.timeout(2_000),
    }).catch(() => undefined);
    return res?.ok ?? false;
  }

  private async s3Ready(): Promise<boolean> {
    return this.env.s3.send(new HeadBucketCommand({ Bucket: this.env.config.S3_BUCKET })).then(
      () => true,
      () => false,
    );
  }
}
