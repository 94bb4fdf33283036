// The per-day report of the batch layer: the workflow's result, `reports/dt=…/report.json` in S3 and
// `batch.days.report` in PostgreSQL. Counts and keys only, never records.
import type { PartitionSource } from './batch-archive.ts';
import type { BatchDay } from './batch-keys.ts';
import type { Entity } from './wire.ts';

export interface WrittenObject {
  key: string;
  records: number;
  bytes: number;
}

/** Rejected records by reason; reasons name fields and rules, never values (see domain/clean.ts). */
export interface RejectCounts {
  total: number;
  byReason: Record<string, number>;
}

export interface PartitionExport {
  partition: number;
  /** `[startOffset, endOffset)`: the offsets whose timestamps fall in the day (decimal strings). */
  startOffset: string;
  endOffset: string;
  records: number;
  objects: WrittenObject[];
  /** Read from Kafka, the day's archive reused, or the archive extended with what Kafka added. */
  source: PartitionSource;
}

export interface EntityCleaned {
  /** Raw records read back from the worker's disk. */
  in: number;
  out: number;
  rejected: RejectCounts;
  objects: WrittenObject[];
  rejectedObjects: WrittenObject[];
  /** Each post's latest cleaned event of the day, by ind: what the load copies into PostgreSQL. */
  latestObjects: WrittenObject[];
}

/** One unit of a day (an entity's Kafka partition), downloaded and cleaned on one worker. */
export interface UnitCleaned extends EntityCleaned {
  entity: Entity;
  partition: number;
  /** The worker process that did it (its own task queue's name). */
  worker: string;
  downloadMs: number;
  cleanMs: number;
}

/** A unit as the day's report lists it: where it ran and what it took. */
export type UnitReport = Pick<
  UnitCleaned,
  'entity' | 'partition' | 'worker' | 'in' | 'downloadMs' | 'cleanMs'
>;

export interface EntityDayReport {
  exported: { records: number; partitions: PartitionExport[] };
  cleaned: EntityCleaned;
  /** Rows of the day in PostgreSQL: one per post, its latest event of the day. */
  loadedRows: number;
  /** Rows PostgreSQL refused at the load (its own checks), by reason: not loaded, kept under rejected/. */
  loadRefused: RejectCounts;
}

/** Where a loaded entity's rows went: loaded, or refused by PostgreSQL with their reasons. */
export interface EntityLoaded {
  rows: number;
  refused: RejectCounts;
}

export type BatchPhase = 'export' | 'download' | 'clean' | 'load' | 'views' | 'total';

export interface BatchDayReport {
  day: BatchDay;
  workflowId: string;
  runId: string;
  /** False when the run started before the day ended: the export holds the day up to that moment. */
  dayComplete: boolean;
  /**
   * Where the raw records came from: Kafka, the day's archive in S3 (Kafka no longer holds the day,
   * or holds nothing new), or both (an archive extended).
   */
  source: 'kafka' | 'archive' | 'mixed';
  startedAt: string;
  finishedAt: string;
  entities: Record<Entity, EntityDayReport>;
  totals: { exported: number; cleaned: number; rejected: number; loadedRows: number };
  /** Rows of each batch view after the refresh. */
  views: Record<string, number>;
  /**
   * Wall-clock milliseconds of each phase, as the workflow saw them. The units download and clean
   * at once: `download` is the longest unit's download, `clean` the rest of the units' time.
   */
  phasesMs: Record<BatchPhase, number>;
  /**
   * Workers that held the day's files: those that did its units, or, for a day run before units (one
   * worker for the whole day), that worker and any that took over from a lost one.
   */
  localWorkers: string[];
  /** Each unit, where it ran and what it took. Absent from days run before units. */
  units?: UnitReport[];
}
