// Sends one record and settles its outcome: a 503 is retried after the API's Retry-After hint
// (bounded), every other answer is counted once, as accepted, rejected or an error.
import type { Entity } from '../domain/wire.ts';
import type { PostRecord, PostResult } from './ingest-client.ts';
import type { SourceRecord } from './source-records.ts';
import type { Tally } from './stats.ts';

/** 503 retries per record. */
export const MAX_RETRIES = 5;
const DEFAULT_RETRY_AFTER_MS = 1_000;
const RETRY_AFTER_BOUNDS_MS = [100, 30_000] as const;

export interface RecordSenderDeps {
  post: PostRecord;
  tally: Tally;
  now: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** once aborted, no more retries */
  signal: AbortSignal;
  onUnauthorized: () => void;
}

function retryDelay(result: PostResult): number {
  const hint = result.status === 'unavailable' ? result.retryAfterMs : undefined;
  const [min, max] = RETRY_AFTER_BOUNDS_MS;
  return Math.min(max, Math.max(min, hint ?? DEFAULT_RETRY_AFTER_MS));
}

function settle({ tally, onUnauthorized }: RecordSenderDeps, entity: Entity, result: PostResult): void {
  switch (result.status) {
    case 'accepted':
      return tally.record(entity, 'accepted');
    case 'rejected':
      tally.lastRejection = `${entity}: ${result.detail}`;
      return tally.record(entity, 'rejected');
    case 'error':
      tally.lastError = `${entity}: ${result.detail}`;
      return tally.record(entity, 'error');
    default:
      tally.lastError = `${entity}: ${result.status}`;
      if (result.status === 'unauthorized') onUnauthorized();
      return tally.record(entity, 'error');
  }
}

export function createRecordSender(deps: RecordSenderDeps) {
  const { post, tally, now, sleep, signal } = deps;
  return async (entity: Entity, record: SourceRecord): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const sent = now();
      const result = await post(entity, record);
      tally.latency.record(now() - sent);
      if (result.status !== 'unavailable' || attempt >= MAX_RETRIES || signal.aborted) {
        return settle(deps, entity, result);
      }
      tally.retries++;
      await sleep(retryDelay(result), signal);
    }
  };
}
