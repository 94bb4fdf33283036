// The batch layer's public names (pure: workflows import this). Days, S3 keys, workflow and schedule
// ids, worker-specific task queues, failure types: renaming any of them is a migration.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Entity } from './wire.ts';

/** A UTC day, `YYYY-MM-DD`: the unit the batch layer exports, cleans, loads and reports. */
export type BatchDay = string;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** The instant the day starts (ms), or undefined when `value` is not a real `YYYY-MM-DD` day. */
export function dayStart(value: string): number | undefined {
  const m = DAY.exec(value);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const start = Date.UTC(year, month - 1, day);
  return utcDay(start) === value ? start : undefined;
}

export function isBatchDay(value: string): value is BatchDay {
  return dayStart(value) !== undefined;
}

/** `[start, end)` of the day in ms: the window of Kafka message timestamps it covers. */
export function dayBounds(day: BatchDay): { start: number; end: number } {
  const start = dayStart(day);
  if (start === undefined) throw new RangeError(`not a day: ${day}`);
  return { start, end: start + DAY_MS };
}

export function utcDay(ms: number): BatchDay {
  return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(day: BatchDay, days: number): BatchDay {
  return utcDay(dayBounds(day).start + days * DAY_MS);
}

/**
 * The day a scheduled run covers: the UTC day before its scheduled (logical) time, as Airflow's
 * `ds` for a daily DAG. A backfilled run gets the scheduled time it stands for, so the same rule holds.
 */
export function dayBeforeScheduledTime(scheduledMs: number): BatchDay {
  return utcDay(scheduledMs - DAY_MS);
}

/**
 * The day's workflow id, `batch-2026-11-21` (after BATCH_ID_PREFIX, if set): the one run that works on
 * the day. Any other run of BatchDay for the day (the Schedule's `batch-daily-…`, one started in the
 * UI) runs it as a child under this id, so Temporal itself keeps two runs of a day from overlapping.
 */
export function batchWorkflowId(day: BatchDay, prefix = ''): string {
  return `${prefix}batch-${day}`;
}

/**
 * The daily Schedule. Its runs are named by Temporal `batch-daily-<scheduled time>`
 * (`batch-daily-2026-11-22T00:15:00Z` covers 2026-11-21); BatchDate makes them findable by day.
 */
export const BATCH_SCHEDULE_ID = 'batch-daily';

/**
 * The queue of a batch day's units of work, one Kafka partition of one entity each: its export, then
 * its download and clean on one worker. Every worker process polls it, each taking at most
 * BATCH_UNITS_AT_ONCE at a time, so a day's work spreads over all workers.
 */
export function batchUnitsQueue(sharedQueue: string): string {
  return `${sharedQueue}-batch-units`;
}

/** The queue only one worker process polls: `pinterest-pipeline@host-4242`. */
export function workerTaskQueue(sharedQueue: string, workerId: string): string {
  return `${sharedQueue}@${workerId}`;
}

// S3 layout, Hive-style so Athena, Spark or DuckDB read it as partitioned tables:
//   <root>raw/entity=pin/dt=2026-11-21/partition=0/part-00000.jsonl.gz       a Kafka partition's records
//   <root>cleaned/entity=pin/dt=2026-11-21/partition=0/part-00000.jsonl.gz   that raw object, cleaned
//   <root>rejected/entity=pin/dt=2026-11-21/partition=0/part-00000.jsonl.gz  its lines that failed
//   <root>latest/entity=pin/dt=2026-11-21/partition=0/part-00000.jsonl.gz    each post's latest cleaned
//                                                                            event of the day in the
//                                                                            partition, by ind (the load
//                                                                            merges the partitions')
//   <root>reports/dt=2026-11-21/report.json                                  the day's report
// `root` is '' or ends with '/'. Parts are numbered from 0 (raw in offset order, latest in ind order),
// and each cleaned or rejected object mirrors its raw one (absent when it would be empty), so a
// re-run writes the same keys.
export type BatchZone = 'raw' | 'cleaned' | 'rejected' | 'latest';

export function dayPrefix(root: string, zone: BatchZone, entity: Entity, day: BatchDay): string {
  return `${root}${zone}/entity=${entity}/dt=${day}/`;
}

/** One Kafka partition's objects of a day in a zone: the batch day's unit of download and clean. */
export function partitionPrefix(
  root: string,
  zone: BatchZone,
  entity: Entity,
  day: BatchDay,
  partition: number,
): string {
  return `${dayPrefix(root, zone, entity, day)}partition=${partition}/`;
}

export function rawPartitionPrefix(root: string, entity: Entity, day: BatchDay, partition: number): string {
  return partitionPrefix(root, 'raw', entity, day, partition);
}

export function partName(part: number): string {
  return `part-${String(part).padStart(5, '0')}.jsonl.gz`;
}

/** The cleaned or rejected object made from a raw object. */
export function zoneKey(root: string, rawKey: string, zone: 'cleaned' | 'rejected'): string {
  const raw = `${root}raw/`;
  if (!rawKey.startsWith(raw)) throw new RangeError(`not a raw key under ${JSON.stringify(root)}: ${rawKey}`);
  return `${root}${zone}/${rawKey.slice(raw.length)}`;
}

/**
 * What one partition's raw objects of a day hold (domain/batch-archive.ts), written after them: the
 * archive of that partition. The leading underscore keeps Hive-style readers from taking it for data.
 */
export function archiveManifestKey(root: string, entity: Entity, day: BatchDay, partition: number): string {
  return `${rawPartitionPrefix(root, entity, day, partition)}_manifest.json`;
}

export function isArchiveManifestKey(key: string): boolean {
  return key.endsWith('/_manifest.json');
}

/** The rows of an entity's day that PostgreSQL refused at the load, with their reasons. */
export function loadRefusedKey(root: string, entity: Entity, day: BatchDay): string {
  return `${dayPrefix(root, 'rejected', entity, day)}load/${partName(0)}`;
}

export function reportKey(root: string, day: BatchDay): string {
  return `${root}reports/dt=${day}/report.json`;
}

/** `waiting`: another run of the day is under way; this one starts when it ends. */
export const BATCH_OUTCOMES = ['waiting', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type BatchOutcome = (typeof BATCH_OUTCOMES)[number];

/** Set by Temporal on runs a Schedule starts (backfills included): the run's logical time. */
export const SCHEDULED_START_TIME = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);
