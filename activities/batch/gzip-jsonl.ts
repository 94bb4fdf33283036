// Gzip JSONL in objects of a fixed number of lines, and lines back out of gzip streams. Deflate's
// output depends only on the bytes it is given, and Node writes a gzip header without a time, so the
// same lines make the same objects byte for byte, however the input arrived.
import type { Readable, TransformOptions } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, createGzip, type Gzip, type ZlibOptions } from 'node:zlib';
import type { WrittenObject } from '../../domain/batch-report.ts';

/** Level 1: deflate is the slowest step of the day; higher levels cost twice the CPU for ~5% size. */
const GZIP_LEVEL = 1;
/** Lines are copied into blocks of this size and handed to zlib a block at a time. */
const BLOCK_BYTES = 1024 * 1024;
/** zlib's input queue above which flush() waits for it to drain. */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;
const NEWLINE = 0x0a;

interface OpenPart {
  part: number;
  gzip: Gzip;
  compressed: Buffer[];
  ended: Promise<void>;
  records: number;
  block: Buffer;
  used: number;
}

export interface GzipJsonlOptions {
  maxRecords: number;
  /** The object key of part `n` (0, 1, 2, … in line order). */
  keyOf: (part: number) => string;
  upload: (key: string, body: Buffer) => Promise<unknown>;
  /** Resumes numbering after parts an earlier attempt already wrote. */
  firstPart?: number;
}

/** Splits lines into gzip objects of `maxRecords` lines each and uploads each as it fills. */
export class GzipJsonlObjects {
  private open: OpenPart | undefined;
  private nextPart: number;
  private readonly uploads: Promise<WrittenObject>[] = [];

  private readonly options: GzipJsonlOptions;
  constructor(options: GzipJsonlOptions) {
    this.options = options;
    this.nextPart = options.firstPart ?? 0;
  }

  /** Adds one line (without its newline); true when the line completed a part. */
  write(line: string): boolean {
    const part = this.room(line.length * 3 + 1);
    part.used += part.block.write(line, part.used, 'utf8');
    return this.endLine(part);
  }

  /**
   * Adds one line made of a head, bytes copied as they are (UTF-8 text), and a tail: a Kafka value
   * goes into its line without being decoded and encoded again.
   */
  writeParts(head: string, bytes: Buffer, tail: string): boolean {
    const part = this.room((head.length + tail.length) * 3 + bytes.length + 1);
    part.used += part.block.write(head, part.used, 'utf8');
    part.used += bytes.copy(part.block, part.used);
    part.used += part.block.write(tail, part.used, 'utf8');
    return this.endLine(part);
  }

  /** Waits for finished parts to be uploaded and for zlib to catch up: call it between input chunks. */
  async flush(): Promise<WrittenObject[]> {
    const part = this.open;
    if (part && part.gzip.writableLength > MAX_QUEUED_BYTES) {
      await new Promise((resolve) => part.gzip.once('drain', resolve));
    }
    return Promise.all(this.uploads);
  }

  /** Finishes the last part; returns every object written, in part order. */
  async close(): Promise<WrittenObject[]> {
    if (this.open) this.finishPart();
    return Promise.all(this.uploads);
  }

  /** The open part, with at least `bytes` free in its block. */
  private room(bytes: number): OpenPart {
    const part = (this.open ??= this.startPart());
    if (part.block.length - part.used < bytes) {
      if (part.used > 0) part.gzip.write(part.block.subarray(0, part.used));
      part.block = Buffer.allocUnsafe(Math.max(BLOCK_BYTES, bytes));
      part.used = 0;
    }
    return part;
  }

  private endLine(part: OpenPart): boolean {
    part.block[part.used++] = NEWLINE;
    part.records++;
    if (part.records < this.options.maxRecords) return false;
    this.finishPart();
    return true;
  }

  private startPart(): OpenPart {
    const gzip = createGzip({ level: GZIP_LEVEL, chunkSize: 256 * 1024 });
    const compressed: Buffer[] = [];
    gzip.on('data', (chunk: Buffer) => compressed.push(chunk));
    const ended = new Promise<void>((resolve, reject) => {
      gzip.once('end', resolve);
      gzip.once('error', reject);
    });
    const block = Buffer.allocUnsafe(BLOCK_BYTES);
    return { part: this.nextPart++, gzip, compressed, ended, records: 0, block, used: 0 };
  }

  private finishPart(): void {
    const part = this.open;
    if (!part) return;
    this.open = undefined;
    part.gzip.end(part.block.subarray(0, part.used));
    const key = this.options.keyOf(part.part);
    const upload = part.ended.then(async () => {
      const body = Buffer.concat(part.compressed);
      await this.options.upload(key, body);
      return { key, records: part.records, bytes: body.length };
    });
    upload.catch(() => undefined); // observed by flush() or close()
    this.uploads.push(upload);
  }
}

/** Decompressed bytes zlib may keep ready ahead of the reader, so that inflating overlaps the JS work. */
const READ_AHEAD_BYTES = 8 * 1024 * 1024;

/**
 * Calls `onLine` for each line of a gzip stream of lines, and awaits `afterChunk` after each
 * decompressed chunk (a place to flush writers and heartbeat). Returns the number of lines.
 *
 * `encoding: 'latin1'` hands each line over as a byte string (one character per byte, no UTF-8
 * decoding): several times cheaper, safe to split on '\n' and to compare, and turned back into text
 * with `Buffer.from(line, 'latin1').toString('utf8')` where text is needed.
 */
export async function forEachGzipLine(
  source: Readable,
  onLine: (line: string) => void,
  afterChunk?: () => Promise<void>,
  encoding: 'utf8' | 'latin1' = 'utf8',
): Promise<number> {
  let lines = 0;
  for await (const chunk of gzipLineChunks(source, encoding)) {
    for (const line of chunk) onLine(line);
    lines += chunk.length;
    if (afterChunk) await afterChunk();
  }
  return lines;
}

/** The lines of a gzip stream, a decompressed chunk's worth at a time. */
async function* gzipLineChunks(source: Readable, encoding: 'utf8' | 'latin1'): AsyncGenerator<string[]> {
  const options: ZlibOptions & TransformOptions = {
    chunkSize: 256 * 1024,
    readableHighWaterMark: READ_AHEAD_BYTES,
  };
  const gunzip = createGunzip(options);
  source.once('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  const decoder = new StringDecoder(encoding);
  let rest = '';
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      const text = rest + decoder.write(chunk);
      const lines: string[] = [];
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        lines.push(text.slice(start, nl));
        start = nl + 1;
      }
      rest = text.slice(start);
      yield lines;
    }
  } finally {
    source.destroy();
    gunzip.destroy();
  }
  rest += decoder.end();
  if (rest !== '') yield [rest];
}

/**
 * The lines of gzip JSONL objects, one after the other, pulled as they are read (a k-way merge reads
 * several at once, a line at a time): byte strings (latin1), as `forEachGzipLine` gives them.
 */
export async function* gzipLines(objects: (() => Promise<Readable>)[]): AsyncGenerator<string> {
  for (const open of objects) {
    for await (const chunk of gzipLineChunks(await open(), 'latin1')) yield* chunk;
  }
}

/** A line read as a byte string (`encoding: 'latin1'`) as the UTF-8 text it holds. */
export function textOf(byteString: string): string {
  return Buffer.from(byteString, 'latin1').toString('utf8');
}

/** zlib's errors for input that is not gzip or ends too early. */
export function isCorruptGzip(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR' || code === 'Z_NEED_DICT';
}
