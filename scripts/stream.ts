// `npm run stream:<command> -- [pin|geo|user ...]`: start, status, pause, resume or stop the speed
// layer's streams (all three when none is named). Starting is idempotent: a running stream is kept.
import { parseArgs } from 'node:util';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  pauseSignal,
  resumeSignal,
  statusQuery,
  stopSignal,
  streamWorkflowId,
  type StreamStatus,
} from '../domain/stream-wire.ts';
import { ENTITIES, isEntity, type Entity } from '../domain/wire.ts';
import { loadConfigOrExit, type Config } from '../infra/config.ts';
import { connectTemporal, workflowUrl } from '../infra/temporal.ts';
import { startStream, streamInput } from '../workers/streams.ts';

const COMMANDS = ['start', 'status', 'pause', 'resume', 'stop'] as const;
type Command = (typeof COMMANDS)[number];

function formatStatus(s: StreamStatus): string {
  const age = s.newestRecordTime === null ? '-' : `${((Date.now() - s.newestRecordTime) / 1000).toFixed(1)}s`;
  const parts = s.partitions.map((p) => `p${p.partition}@${p.nextOffset}/${p.highWatermark}`).join(' ');
  return [
    `${s.stream}: ${s.state}, lag ${s.lag}, newest record ${age} old, generation ${s.generation}`,
    `  totals: ${s.totals.batches} batches, ${s.totals.read} read, ${s.totals.cleaned} cleaned and upserted, ${s.totals.deadLettered} dead-lettered`,
    `  last batch: ${s.lastBatch ? `${s.lastBatch.read} records in ${s.lastBatch.durationMs} ms, freshness ≤ ${s.lastBatch.maxFreshnessMs} ms` : '-'}`,
    `  offsets: ${parts || '-'}`,
  ].join('\n');
}

async function run(command: Command, entities: Entity[], config: Config, client: Client): Promise<void> {
  for (const entity of entities) {
    const input = streamInput(config, entity);
    const id = streamWorkflowId(input.stream);
    const handle = client.workflow.getHandle(id);
    try {
      if (command === 'start') {
        await startStream(client, config, input);
        console.log(`${id}: running — ${workflowUrl(config.TEMPORAL_UI_URL, config.TEMPORAL_NAMESPACE, id)}`);
      } else if (command === 'status') {
        console.log(formatStatus(await handle.query(statusQuery)));
      } else {
        const signal = { pause: pauseSignal, resume: resumeSignal, stop: stopSignal }[command];
        await handle.signal(signal);
        console.log(`${id}: ${command} sent`);
      }
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      console.log(`${id}: not running (npm run stream:start)`);
    }
  }
}

async function main(): Promise<void> {
  const { positionals } = parseArgs({ allowPositionals: true });
  const [command, ...names] = positionals;
  if (!COMMANDS.includes(command as Command)) {
    console.error(`usage: stream <${COMMANDS.join('|')}> [${ENTITIES.join('|')} ...]`);
    process.exit(2);
  }
  const bad = names.filter((n) => !isEntity(n));
  if (bad.length) {
    console.error(`unknown stream ${bad.join(', ')}: expected ${ENTITIES.join(', ')}`);
    process.exit(2);
  }
  const config = loadConfigOrExit();
  const { client, connection } = await connectTemporal(config);
  try {
    await run(command as Command, names.length ? (names as Entity[]) : [...ENTITIES], config, client);
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
