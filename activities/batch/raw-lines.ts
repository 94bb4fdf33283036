// One line of the raw zone per Kafka message: where it sat in the log, when it was produced (the
// message timestamp, ms since the epoch, as Kafka keeps it), its key, and its value exactly as the
// API received it, last, so that a reader can take it without parsing the rest:
//   {"partition":0,"offset":41,"timestamp":1795248000000,"key":"7528","value":{…}}
// A value that is not JSON is kept as text under "value_text"; a message without one has "value":null.
// Offsets are written as numbers: they stay far below 2^53.

import { isJsonBytes } from './json-check.ts';

const VALUE_FIELD = ',"value":';

export interface LineSink {
  write(line: string): boolean;
  writeParts(head: string, bytes: Buffer, tail: string): boolean;
}

/** Writes one Kafka message as a raw line; returns what the sink returns. */
export function writeRawLine(
  sink: LineSink,
  partition: number,
  offset: string,
  timestampMs: string,
  key: Buffer | null,
  value: Buffer | null,
): boolean {
  const keyJson = key === null ? 'null' : JSON.stringify(key.toString('utf8'));
  const head = `{"partition":${partition},"offset":${offset},"timestamp":${Number(timestampMs)},"key":${keyJson}`;
  if (value === null) return sink.write(`${head}${VALUE_FIELD}null}`);
  // Checked as bytes, with no decoding (every byte above 0x7f of valid UTF-8 JSON sits inside a
  // string): a valid value is copied into the line byte for byte.
  if (!isJsonBytes(value)) {
    return sink.write(`${head},"value_text":${JSON.stringify(value.toString('utf8'))}}`);
  }
  // Pretty-printed JSON would span lines: re-serialise only that rare case.
  if (value.includes(0x0a) || value.includes(0x0d)) {
    return sink.write(`${head}${VALUE_FIELD}${JSON.stringify(JSON.parse(value.toString('utf8')))}}`);
  }
  return sink.writeParts(head + VALUE_FIELD, value, '}');
}

export interface RawLineParts {
  partition: number;
  offset: number;
  /** The Kafka message timestamp, ms since the epoch. */
  timestamp: number;
  /** The message key as the line holds it: JSON text (`"7528"`) or `null`. */
  keyText: string;
  /** The value's JSON text; undefined when the message's value was not JSON. */
  valueText: string | undefined;
}

interface RawLineHead {
  partition?: unknown;
  offset?: unknown;
  timestamp?: unknown;
  key?: unknown;
}

/** The head writeRawLine writes; a JSON string key holds no unescaped quote, so VALUE_FIELD follows it. */
const HEAD =
  /^\{"partition":(\d{1,9}),"offset":(\d{1,15}),"timestamp":(\d{1,15}),"key":(null|"(?:[^"\\]|\\.)*")/;

/** The parts of a raw line; throws a SyntaxError for a line this module did not write. */
export function splitRawLine(line: string): RawLineParts {
  const head = HEAD.exec(line);
  if (head !== null && line.startsWith(VALUE_FIELD, head[0].length)) {
    const [, partition, offset, timestamp, keyText = 'null'] = head;
    const valueText = line.slice(head[0].length + VALUE_FIELD.length, -1);
    return {
      partition: Number(partition),
      offset: Number(offset),
      timestamp: Number(timestamp),
      keyText,
      valueText,
    };
  }
  return parseRawLine(line);
}

/** The general path: any field order, and a value kept as text. */
function parseRawLine(line: string): RawLineParts {
  const at = line.indexOf(VALUE_FIELD);
  const head = JSON.parse(at < 0 ? line : `${line.slice(0, at)}}`) as RawLineHead;
  const { partition, offset, timestamp, key } = head;
  if (typeof partition !== 'number' || typeof offset !== 'number' || typeof timestamp !== 'number') {
    throw new SyntaxError('not a raw line: partition, offset or timestamp missing');
  }
  const valueText = at < 0 ? undefined : line.slice(at + VALUE_FIELD.length, -1);
  return { partition, offset, timestamp, keyText: JSON.stringify(key ?? null), valueText };
}
