// Raw lines in, cleaned lines (cleaned-lines.ts) or rejections out, through the one cleaning
// implementation. A bad record is counted and kept under its reason, never thrown: a poisoned input
// cannot fail a day.
//   rejected: {"reason":"follower_count: …", …the raw line's fields…}
// and, for the load, each post's latest cleaned event offered to the day's sorted runs.
import { cleanRecord } from '../../domain/entities.ts';
import type { RejectCounts } from '../../domain/batch-report.ts';
import type { Entity } from '../../domain/wire.ts';
import { cleanedHead, writeCleanedLine } from './cleaned-lines.ts';
import { textOf } from './gzip-jsonl.ts';
import { splitRawLine, type LineSink } from './raw-lines.ts';
import type { Candidate } from './sorted-runs.ts';

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
  return { ind: result.record.ind, record: cleanedHead(result.record) };
}

function rejectedLine(rawLine: string, reason: string): string {
  const head = `{"reason":${JSON.stringify(reason)}`;
  return rawLine.startsWith('{"')
    ? `${head},${rawLine.slice(1)}`
    : `${head},"line":${JSON.stringify(rawLine)}}`;
}

export interface CleanSinks {
  cleaned: LineSink;
  rejected: LineSink;
  /** Offered every cleaned record, to keep each post's latest (sorted-runs.ts). */
  latest?: { offer(ind: number, c: Candidate): void };
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
    const position = { time: parts.timestamp, partition: parts.partition, offset: parts.offset };
    writeCleanedLine(sinks.cleaned, outcome.record, position);
    sinks.latest?.offer(outcome.ind, { head: outcome.record, ...position });
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
