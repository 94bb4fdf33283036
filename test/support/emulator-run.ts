// Runs the real emulator (runEmulator with its real HTTP client) against an ingest API, and keeps
// what it actually sent: the source of truth the tests compare Kafka and the serving answers with.
import { createIngestClient, type PostResult } from '../../emulator/ingest-client.ts';
import { runEmulator, type RunOptions } from '../../emulator/run.ts';
import type { SourceReader } from '../../emulator/source-db.ts';
import type { SourceRecord } from '../../emulator/source-records.ts';
import type { Summary } from '../../emulator/stats.ts';
import { ENTITY } from '../../domain/entities.ts';
import type { Entity } from '../../domain/wire.ts';

export interface SentRecord {
  entity: Entity;
  ind: number;
  record: SourceRecord;
  result: PostResult;
}

export interface EmulatorRun {
  summary: Summary;
  /** Every request the emulator made, in the order the API answered them (retries included). */
  sent: SentRecord[];
}

export async function emulate(
  options: RunOptions,
  deps: { source: SourceReader; baseUrl: string; apiKey: string },
): Promise<EmulatorRun> {
  const post = createIngestClient({ baseUrl: deps.baseUrl, apiKey: deps.apiKey });
  const sent: SentRecord[] = [];
  const summary = await runEmulator(options, {
    source: deps.source,
    post: async (entity, record) => {
      const result = await post(entity, record);
      sent.push({ entity, ind: ENTITY[entity].keyOf(record), record, result });
      return result;
    },
  });
  return { summary, sent };
}

/** The records the API acknowledged: what Kafka must hold. */
export const acknowledged = (sent: readonly SentRecord[]): SentRecord[] =>
  sent.filter((s) => s.result.status === 'accepted');
