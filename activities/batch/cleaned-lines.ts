// The cleaned line, the one format of cleaned/ and latest/ objects and of the clean's sorted runs:
// the cleaned record's JSON, columns in order (domain/cleaned-records.ts), with the event's Kafka
// position appended as three more fields:
//   {"ind":7528,…cleaned columns…,"event_time":"2026-11-21T09:16:33.000Z","source_partition":0,"source_offset":41}
// Written here from the record's JSON without its closing brace, and read back here: the head gives
// the post, the tail the event's position, without parsing the columns in between.
import type { EventPosition } from '../../domain/latest-event.ts';
import { FAILURES } from '../../domain/failures.ts';
import { permanent } from '../errors.ts';
import type { LineSink } from './raw-lines.ts';

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

/** The cleaned record's JSON as UTF-8 without its closing brace: what a cleaned line starts with. */
export function cleanedHead(record: { ind: number }): Buffer {
  return Buffer.from(JSON.stringify(record).slice(0, -1));
}

/** Writes one cleaned line: the record's head, then the event's position. */
export function writeCleanedLine(sink: LineSink, head: Buffer, p: EventPosition): boolean {
  return sink.writeParts(
    '',
    head,
    `,"event_time":"${isoTime(p.time)}","source_partition":${p.partition},"source_offset":${p.offset}}`,
  );
}

const IND_FIELD = '{"ind":';
const POSITION = /,"event_time":"([^"]+)","source_partition":(\d+),"source_offset":(\d+)\}$/;

export interface CleanedLineHead {
  ind: number;
  position: EventPosition;
}

/** The post and the event position of a cleaned line (text or a byte string); throws BatchCleanedInvalid. */
export function readCleanedLine(line: string): CleanedLineHead {
  const tail = POSITION.exec(line);
  const comma = line.indexOf(',', IND_FIELD.length);
  const ind = line.startsWith(IND_FIELD) && comma > 0 ? Number(line.slice(IND_FIELD.length, comma)) : NaN;
  const time = tail ? Date.parse(tail[1]!) : NaN;
  if (!tail || !Number.isSafeInteger(ind) || ind < 0 || Number.isNaN(time)) {
    throw permanent(FAILURES.BatchCleanedInvalid, `not a cleaned line: ${line.slice(0, 60)}`);
  }
  return { ind, position: { time, partition: Number(tail[2]), offset: Number(tail[3]) } };
}
