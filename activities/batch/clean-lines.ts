// Raw lines in, cleaned lines or rejections out, through the one cleaning implementation. A bad
// record is counted and kept under its reason, never thrown: a poisoned input cannot fail a day.
//   cleaned: {"ind":7528,…cleaned columns in order…,"event_time":"…","source_partition":0,"source_offset":41}
//   rejected: {"reason":"follower_count: …", …the raw line's fields…}
// and, for the load, each post's latest cleaned line of the day.
import { cleanRecord } from '../../domain/clean.ts';
import type { RejectCounts } from '../../domain/batch-report.ts';
import type { Entity } from '../../domain/wire.ts';
import { textOf } from './gzip-jsonl.ts';
import { splitRawLine, type LineSink } from './raw-lines.ts';

type ValueOutcome = { ind: number; record: Buffer } | { reason: string };

/**
 * Raw events repeat (the same post arrives again and again), and cleaning is a pure function of the
 * value's bytes: a bounded memo of each key's last value makes a repeat cost a comparison of the
 * value's text instead of a parse. Keyed by the short message key rather than by the value, so a
 * lookup hashes a few characters instead of the whole value.
 */
const MEMO_LIMIT = 50_000;

export const REASONS = {
  notARawLine: 'line: not a raw line',
  notJson: 'value: not valid JSON',
} as const;

/** The cleaned record's JSON as UTF-8, without its closing brace (the event position follows). */
function cleanValue(entity: Entity, text: string): ValueOutcome {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { reason: REASONS.notJson };
  }
  const result = cleanRecord(entity, value);
  if (!result.ok) return { reason: result.reason };
  return { ind: result.record.ind, record: Buffer.from(JSON.stringify(result.record).slice(0, -1)) };
}

function rejectedLine(rawLine: string, reason: string): string {
  const head = `{"reason":${JSON.stringify(reason)}`;
  return rawLine.startsWith('{"')
    ? `${head},${rawLine.slice(1)}`
    : `${head},"line":${JSON.stringify(rawLine)}}`;
}

const DAY_MS = 86_400_000;
const PAD2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
let cachedDay = NaN;
let cachedDayPrefix = '';

/** `new Date(ms).toISOString()`, cheaper: the date part is computed once per day. */
export function isoTime(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    if (!Number.isSafeInteger(ms) || ms < 0 || ms >= 253_402_300_800_000) return new Date(ms).toISOString();
    cachedDay = day;
    cachedDayPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
  }
  const t = ms - day * DAY_MS;
  const seconds = Math.floor(t / 1000);
  return `${cachedDayPrefix}${PAD2[Math.floor(seconds / 3600)]}:${PAD2[Math.floor(seconds / 60) % 60]}:${PAD2[seconds % 60]}.${PAD3[t % 1000]}Z`;
}

export interface CleanSinks {
  cleaned: LineSink;
  rejected: LineSink;
  /** Offered every cleaned record, to keep each post's latest. */
  latest?: LatestPerPost;
}

const positionTail = (timestamp: number, partition: number, offset: number) =>
  `,"event_time":"${isoTime(timestamp)}","source_partition":${partition},"source_offset":${offset}}`;

export interface Candidate {
  record: Buffer;
  timestamp: number;
  partition: number;
  offset: number;
}

/**
 * Each post's latest cleaned event: the latest Kafka timestamp, then the higher partition and offset
 * (offsets order events within a partition, where one post's events all go). Whatever order the
 * records are offered in, the same ones win.
 */
export class LatestPerPost {
  private readonly rows = new Map<number, Candidate>();

  offer(ind: number, c: Candidate): void {
    const seen = this.rows.get(ind);
    if (seen === undefined || isLater(c, seen)) this.rows.set(ind, c);
  }

  get size(): number {
    return this.rows.size;
  }

  /** The winners, to be offered to another LatestPerPost (the day's, from each file's). */
  entries(): [number, Candidate][] {
    return [...this.rows];
  }

  /** Writes the winners as cleaned lines, in ind order. */
  writeTo(sink: LineSink): void {
    for (const ind of [...this.rows.keys()].sort((a, b) => a - b)) {
      const c = this.rows.get(ind) as Candidate;
      sink.writeParts('', c.record, positionTail(c.timestamp, c.partition, c.offset));
    }
  }
}

function isLater(a: Candidate, b: Candidate): boolean {
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  if (a.partition !== b.partition) return a.partition > b.partition;
  return a.offset > b.offset;
}

/**
 * A function that cleans one raw line, given as a byte string (see forEachGzipLine), into `cleaned`
 * or, with its reason, into `rejected`; it returns the reason of a rejection, undefined otherwise.
 */
export function createLineCleaner(
  entity: Entity,
  sinks: CleanSinks,
  memoLimit = MEMO_LIMIT,
): (rawLine: string) => string | undefined {
  const memo = new Map<string, { valueText: string; outcome: ValueOutcome }>();
  const reject = (rawLine: string, reason: string): string => {
    sinks.rejected.write(rejectedLine(textOf(rawLine), reason));
    return reason;
  };
  return (rawLine) => {
    let parts;
    try {
      parts = splitRawLine(rawLine);
    } catch {
      return reject(rawLine, REASONS.notARawLine);
    }
    if (parts.valueText === undefined) return reject(rawLine, REASONS.notJson);
    const seen = memo.get(parts.keyText);
    let outcome: ValueOutcome;
    if (seen !== undefined && seen.valueText === parts.valueText) {
      outcome = seen.outcome;
    } else {
      outcome = cleanValue(entity, textOf(parts.valueText));
      if (memo.size >= memoLimit) memo.clear();
      memo.set(parts.keyText, { valueText: parts.valueText, outcome });
    }
    if ('reason' in outcome) return reject(rawLine, outcome.reason);
    const { timestamp, partition, offset } = parts;
    sinks.cleaned.writeParts('', outcome.record, positionTail(timestamp, partition, offset));
    sinks.latest?.offer(outcome.ind, { record: outcome.record, timestamp, partition, offset });
    return undefined;
  };
}

/** Distinct reasons beyond this are counted together, so a flood of odd records stays a small report. */
const MAX_REASONS = 100;
export const OTHER_REASONS = '(other reasons)';

export class RejectCounter {
  private readonly counts = new Map<string, number>();
  private total = 0;

  add(reason: string, n = 1): void {
    this.total += n;
    const key = this.counts.has(reason) || this.counts.size < MAX_REASONS ? reason : OTHER_REASONS;
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }

  /** Adds counts made by another counter (a file's, into the day's). */
  addAll(counts: RejectCounts): void {
    for (const [reason, n] of Object.entries(counts.byReason)) this.add(reason, n);
  }

  toJSON(): RejectCounts {
    const sorted = [...this.counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return { total: this.total, byReason: Object.fromEntries(sorted) };
  }
}
