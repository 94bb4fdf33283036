// Each post's latest event of the day in a fixed memory budget, however many posts the day holds.
// The clean of each raw file keeps the latest event per post in a map of at most RUN_ENTRIES posts;
// a full map is written to the worker's disk as a run, cleaned lines sorted by ind. The day's runs
// are then merged (a k-way merge, one line per run in memory), and the latest of each post's
// candidates is chosen by the one rule (domain/latest-event.ts): what the load copies into PostgreSQL.
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { isLaterEvent, latestEvent, type EventPosition } from '../../domain/latest-event.ts';
import { readCleanedLine, writeCleanedLine } from './cleaned-lines.ts';
import type { LineSink } from './raw-lines.ts';

/** Posts a run holds before it is written out: ~30 MB of cleaned records at most. */
export const RUN_ENTRIES = 50_000;

export interface Candidate extends EventPosition {
  /** The cleaned record's head (cleaned-lines.ts). */
  head: Buffer;
}

/** The latest candidate of each post offered, spilled to sorted run files of at most `limit` posts. */
export class SortedRuns {
  private current = new Map<number, Candidate>();
  private readonly full: Map<number, Candidate>[] = [];
  private readonly files: string[] = [];

  private readonly base: string;
  private readonly limit: number;
  constructor(base: string, limit = RUN_ENTRIES) {
    this.base = base;
    this.limit = limit;
  }

  offer(ind: number, c: Candidate): void {
    const seen = this.current.get(ind);
    if (seen !== undefined) {
      if (isLaterEvent(c, seen)) this.current.set(ind, c);
      return;
    }
    this.current.set(ind, c);
    if (this.current.size >= this.limit) {
      this.full.push(this.current);
      this.current = new Map();
    }
  }

  /** Writes the runs that filled up; call it between input chunks. */
  async flush(): Promise<void> {
    for (let run = this.full.shift(); run; run = this.full.shift()) await this.write(run);
  }

  /** Writes what is left; returns every run file, in the order written. */
  async close(): Promise<string[]> {
    await this.flush();
    if (this.current.size > 0) await this.write(this.current);
    this.current = new Map();
    return this.files;
  }

  private async write(run: Map<number, Candidate>): Promise<void> {
    const chunks: Buffer[] = [];
    const sink: LineSink = {
      write(line) {
        chunks.push(Buffer.from(`${line}\n`));
        return false;
      },
      writeParts(head, bytes, tail) {
        chunks.push(Buffer.from(head), bytes, Buffer.from(`${tail}\n`));
        return false;
      },
    };
    for (const ind of [...run.keys()].sort((a, b) => a - b)) {
      const c = run.get(ind) as Candidate;
      writeCleanedLine(sink, c.head, c);
    }
    const file = `${this.base}.run-${this.files.length}`;
    await writeFile(file, Buffer.concat(chunks));
    this.files.push(file);
  }
}

interface Cursor {
  lines: AsyncIterator<string>;
  ind: number;
  line: string;
  position: EventPosition;
}

async function advance(c: Cursor): Promise<boolean> {
  const next = await c.lines.next();
  if (next.done) return false;
  const { ind, position } = readCleanedLine(next.value);
  c.ind = ind;
  c.line = next.value;
  c.position = position;
  return true;
}

/** A binary min-heap of cursors by ind. */
class CursorHeap {
  private readonly items: Cursor[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Cursor | undefined {
    return this.items[0];
  }

  push(c: Cursor): void {
    const a = this.items;
    a.push(c);
    for (let i = a.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (a[parent]!.ind <= a[i]!.ind) break;
      [a[parent], a[i]] = [a[i]!, a[parent]!];
      i = parent;
    }
  }

  pop(): Cursor | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      for (let i = 0; ;) {
        const [l, r] = [2 * i + 1, 2 * i + 2];
        let min = i;
        if (l < a.length && a[l]!.ind < a[min]!.ind) min = l;
        if (r < a.length && a[r]!.ind < a[min]!.ind) min = r;
        if (min === i) break;
        [a[min], a[i]] = [a[i]!, a[min]!];
        i = min;
      }
    }
    return top;
  }
}

/**
 * Merges sorted runs into `sink`: one cleaned line per post, in ind order, the latest of its
 * candidates. Lines are read and written as byte strings (latin1), so their bytes pass unchanged.
 * Returns the number of posts.
 */
export async function mergeRuns(
  files: string[],
  sink: LineSink,
  afterPosts?: () => Promise<void>,
): Promise<number> {
  const sources = files.map((file) =>
    createInterface({ input: createReadStream(file, { encoding: 'latin1' }), crlfDelay: Infinity }),
  );
  let posts = 0;
  for await (const line of mergeSortedLines(sources)) {
    sink.writeParts('', Buffer.from(line, 'latin1'), '');
    if (++posts % 10_000 === 0 && afterPosts) await afterPosts();
  }
  return posts;
}

/**
 * A k-way merge of cleaned lines, each source sorted by ind: one line per post, in ind order, the
 * latest of its candidates across the sources (domain/latest-event.ts). Memory holds one line per
 * source. Used for a unit's sorted runs and for the load's merge of the units of an entity.
 */
export async function* mergeSortedLines(sources: AsyncIterable<string>[]): AsyncGenerator<string> {
  // Every iterator first, before any await: a readline interface drops the lines it reads while its
  // iterator does not exist yet.
  const cursors: Cursor[] = sources.map((source) => ({
    lines: source[Symbol.asyncIterator](),
    ind: 0,
    line: '',
    position: { time: 0, partition: 0, offset: 0 },
  }));
  const heap = new CursorHeap();
  for (const c of cursors) if (await advance(c)) heap.push(c);
  while (heap.size > 0) {
    const ind = heap.peek()!.ind;
    const candidates: { line: string; time: number; partition: number; offset: number | bigint }[] = [];
    while (heap.size > 0 && heap.peek()!.ind === ind) {
      const c = heap.pop()!;
      candidates.push({ line: c.line, ...c.position });
      if (await advance(c)) heap.push(c);
    }
    yield latestEvent(candidates)!.line;
  }
}
