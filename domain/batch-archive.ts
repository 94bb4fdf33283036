// A day's raw archive in S3 is the source of truth once written (shared/DESIGN.md): Kafka keeps
// records for a while, the archive for good. Each partition's raw objects of a day come with a
// manifest (archiveManifestKey) naming the offsets they hold; a run of the day decides, partition by
// partition, whether to export from Kafka, to reuse the archive, or to extend it — never to shrink it.
// Pure: the plan activity gathers the facts, the workflow reads the decisions.
import type { PartitionExport, WrittenObject } from './batch-report.ts';

/** One partition's archive of a day: the manifest written after its objects. Offsets are decimal strings. */
export interface PartitionArchive {
  topic: string;
  partition: number;
  /** The archive holds the records of offsets `[startOffset, endOffset)` (gaps allowed). */
  startOffset: string;
  endOffset: string;
  /**
   * Whether endOffset is the day's end for good: the day was over and Kafka already held a record of
   * a later day after it. Until then, records of the day may still arrive after endOffset.
   */
  endFinal: boolean;
  records: number;
  objects: WrittenObject[];
}

/** What Kafka holds of a partition now, and where the day's timestamps fall in it. */
export interface KafkaPartition {
  partition: number;
  /** The first offset Kafka still holds (retention moves it) and the offset after the last. */
  low: bigint;
  high: bigint;
  /** The first offset whose timestamp is at or after the day's start, and after its end. */
  dayStart: bigint;
  dayEnd: bigint;
}

export type PartitionSource = 'kafka' | 'archive' | 'archive+kafka';

export interface PartitionDecision {
  partition: number;
  source: PartitionSource;
  /** The archive this run starts from (kept whole), if any. */
  archive: PartitionArchive | null;
  /** Offsets to export from Kafka, `[from, to)`; null when nothing is to be read. */
  read: { from: string; to: string } | null;
  /** Whether the manifest is written again (new objects, or an end that became final). */
  write: boolean;
  /** The archive's range and finality after this run. */
  startOffset: string;
  endOffset: string;
  endFinal: boolean;
}

export interface MissingOffsets {
  partition: number;
  /** The first offset missing, or null when unknown (no archive says where the day started). */
  from: string | null;
  /** The first offset Kafka still holds. */
  to: string;
}

/**
 * Where a partition's records of a day come from in this run, or which offsets are missing.
 *
 * - An archive whose end is final is reused as it is: Kafka cannot add to it.
 * - An archive whose end is not final is extended with what Kafka holds of the day after it, when
 *   Kafka still holds everything from its end on; otherwise the offsets in between are missing.
 * - Without an archive, Kafka must hold everything since before the day started: nothing deleted yet
 *   (low = 0), or a record older than the day still there (dayStart > low). Otherwise the day's
 *   first offsets may be gone, and the day is missing rather than loaded short.
 */
export function decidePartition(
  kafka: KafkaPartition | undefined,
  archive: PartitionArchive | undefined,
  dayComplete: boolean,
): PartitionDecision | { missing: MissingOffsets } {
  const finalAt = (end: bigint) => dayComplete && kafka !== undefined && end < kafka.high;
  if (archive) {
    const end = BigInt(archive.endOffset);
    const reuse = (endFinal: boolean): PartitionDecision => ({
      partition: archive.partition,
      source: 'archive',
      archive,
      read: null,
      write: endFinal !== archive.endFinal,
      startOffset: archive.startOffset,
      endOffset: archive.endOffset,
      endFinal,
    });
    // A log shorter than the archive is another log (the topic was recreated): keep the archive.
    if (archive.endFinal || kafka === undefined || kafka.high < end) return reuse(archive.endFinal);
    if (kafka.low > end) {
      return { missing: { partition: archive.partition, from: archive.endOffset, to: kafka.low.toString() } };
    }
    if (kafka.dayEnd <= end) return reuse(finalAt(end));
    return {
      partition: archive.partition,
      source: 'archive+kafka',
      archive,
      read: { from: archive.endOffset, to: kafka.dayEnd.toString() },
      write: true,
      startOffset: archive.startOffset,
      endOffset: kafka.dayEnd.toString(),
      endFinal: finalAt(kafka.dayEnd),
    };
  }
  if (kafka === undefined) throw new RangeError('a partition with neither Kafka records nor an archive');
  const holdsTheDay = kafka.low === 0n || kafka.dayStart > kafka.low;
  if (!holdsTheDay) return { missing: { partition: kafka.partition, from: null, to: kafka.low.toString() } };
  return {
    partition: kafka.partition,
    source: 'kafka',
    archive: null,
    read: { from: kafka.dayStart.toString(), to: kafka.dayEnd.toString() },
    write: true,
    startOffset: kafka.dayStart.toString(),
    endOffset: kafka.dayEnd.toString(),
    endFinal: finalAt(kafka.dayEnd),
  };
}

/** `pin partition 0: offsets 120..480 deleted` — for the failure that names what is missing. */
export function describeMissing(entity: string, m: MissingOffsets): string {
  const range = m.from === null ? `offsets before ${m.to}` : `offsets ${m.from} to ${BigInt(m.to) - 1n}`;
  return `${entity} partition ${m.partition}: ${range}`;
}

/** The report's view of a partition whose archive is reused untouched. */
export function archivedExport(decision: PartitionDecision & { archive: PartitionArchive }): PartitionExport {
  const { archive } = decision;
  return {
    partition: archive.partition,
    startOffset: archive.startOffset,
    endOffset: archive.endOffset,
    records: archive.records,
    objects: archive.objects,
    source: 'archive',
  };
}
