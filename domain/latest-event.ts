// A post's latest event, the rule every layer follows (shared/DESIGN.md: "Kafka's order is the truth").
// Posts are keyed by `ind`, so all events of a post sit in one partition, where the higher offset is
// the later event whatever the timestamps say (a producer's clock may go backwards). Only a change of a
// topic's partition count puts one post's events in two partitions: between partitions, the later
// Kafka timestamp wins, then the higher partition.
//
// Written once for TypeScript and once for SQL, in two forms each:
// - over a set of events (`latestEvent`, `latestEventsSql`): the latest of each partition first, then
//   the latest of those by time — what the batch clean, the load, the views and the serving merge use;
// - pairwise (`isLaterEvent`, `laterEventSql`): what the stream needs to compare a new event with the
//   row it holds. Both forms agree whenever a post's events share a partition.

export interface EventPosition {
  partition: number;
  /** The offset in the partition (64-bit: a bigint where it comes from Kafka, a number once written). */
  offset: bigint | number;
  /** The Kafka message timestamp, ms since the epoch. */
  time: number;
}

/** Whether `a` is a later event of a post than `b`. */
export function isLaterEvent(a: EventPosition, b: EventPosition): boolean {
  if (a.partition === b.partition) return a.offset > b.offset;
  if (a.time !== b.time) return a.time > b.time;
  return a.partition > b.partition;
}

/** The latest of one post's events: the latest of each partition by offset, then of those by time. */
export function latestEvent<T extends EventPosition>(events: Iterable<T>): T | undefined {
  const perPartition = new Map<number, T>();
  for (const e of events) {
    const seen = perPartition.get(e.partition);
    if (seen === undefined || e.offset > seen.offset) perPartition.set(e.partition, e);
  }
  let latest: T | undefined;
  for (const e of perPartition.values()) if (latest === undefined || isLaterEvent(e, latest)) latest = e;
  return latest;
}

/** The latest event of each post (by `ind`) among `events`. */
export function latestPerPost<T extends EventPosition>(events: Iterable<T>, indOf: (e: T) => number): T[] {
  const byPost = new Map<number, T[]>();
  for (const e of events) {
    const ind = indOf(e);
    const list = byPost.get(ind);
    if (list === undefined) byPost.set(ind, [e]);
    else list.push(e);
  }
  return [...byPost.values()].map((list) => latestEvent(list) as T);
}

// SQL over rows that carry the event position as the columns source_partition, source_offset and
// event_time (the speed tables, the batch tables, the serving layer's merged tables).

/** A boolean SQL expression: the event of row `a` is later than the event of row `b`. */
export function laterEventSql(a: string, b: string): string {
  return `CASE WHEN ${a}.source_partition = ${b}.source_partition THEN ${a}.source_offset > ${b}.source_offset
    ELSE (${a}.event_time, ${a}.source_partition) > (${b}.event_time, ${b}.source_partition) END`;
}

/** A SELECT of the latest row of each post (by `ind`) among the rows of `from`, with all their columns. */
export function latestEventsSql(from: string): string {
  return `SELECT DISTINCT ON (ind) * FROM (
      SELECT DISTINCT ON (ind, source_partition) * FROM ${from}
      ORDER BY ind, source_partition, source_offset DESC) AS latest_per_partition
    ORDER BY ind, event_time DESC, source_partition DESC`;
}
