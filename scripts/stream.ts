// `npm run stream:<command> -- [pin|geo|user ...]`: start, status, pause, resume or stop the speed
// layer's streams (all three when none is named). Each command prints what holds afterwards, read from
// the stream itself: a signal no worker has taken yet is said to be waiting, never reported as done.
import { parseArgs } from 'node:util';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  pauseSignal,
  resumeSignal,
  shardWorkflowId,
  stopSignal,
  type StreamView,
} from '../domain/stream-wire.ts';
import { ENTITIES, isEntity, type Entity } from '../domain/wire.ts';
import { loadConfigOrExit, type Config } from '../infra/config.ts';
import { createPool } from '../infra/db.ts';
import { createKafka } from '../infra/kafka.ts';
import {
  lazyAdmin,
  readStreamStatus,
  streamShardsOf,
  type StreamStatusDeps,
} from '../infra/stream-status.ts';
import { connectTemporal, workflowUrl } from '../infra/temporal.ts';
import { ReshardWhileRunningError, startStreamShards, streamInput } from '../workers/streams.ts';

const COMMANDS = ['start', 'status', 'pause', 'resume', 'stop'] as const;
type Command = (typeof COMMANDS)[number];

function formatStatus(v: StreamView): string {
  const s = v.status;
  const lag = v.lag === null ? `unknown (${v.lagError ?? 'not measured'})` : String(v.lag);
  const parts = v.partitions.map((p) => `p${p.partition}@${p.nextOffset}/${p.highWatermark}`).join(' ');
  const shard = v.shard.count > 1 ? ` (shard ${v.shard.index + 1} of ${v.shard.count})` : '';
  const lines = [`${v.workflowId}${shard}: ${v.state}, lag ${lag}`];
  if (v.error) lines.push(`  not answering: ${v.error}`);
  if (v.pendingSignals?.length) {
    lines.push(`  waiting for a worker to take: ${v.pendingSignals.join(', ')} (npm run worker)`);
  }
  if (s?.retrying) {
    const r = s.retrying;
    lines.push(
      `  retrying: ${r.attempts} failed attempts since ${new Date(r.since).toISOString()}`,
      `  last failure: ${r.lastFailure.type}: ${r.lastFailure.message}`,
    );
  }
  if (s) {
    const age =
      s.newestRecordTime === null ? '-' : `${((Date.now() - s.newestRecordTime) / 1000).toFixed(1)}s`;
    lines.push(
      `  totals: ${s.totals.batches} batches, ${s.totals.read} read, ${s.totals.cleaned} cleaned and upserted, ${s.totals.deadLettered} dead-lettered; newest record ${age} old, generation ${s.generation}`,
      `  last batch: ${s.lastBatch ? `${s.lastBatch.read} records in ${s.lastBatch.durationMs} ms, freshness ≤ ${s.lastBatch.maxFreshnessMs} ms` : '-'}`,
    );
  }
  lines.push(`  offsets: ${parts || '-'}`);
  return lines.join('\n');
}

/** After a command: what the stream says now, or that its signal waits for a worker. */
function afterCommand(command: Command, v: StreamView, url: string): string {
  const waiting = v.state === 'not answering';
  const note = waiting ? ` — no worker answers: it takes effect when one runs (npm run worker)` : '';
  const state = waiting ? 'sent' : v.state;
  if (command === 'start' && v.state === 'paused')
    return `${v.workflowId}: paused (npm run stream:resume) — ${url}`;
  return `${v.workflowId}: ${command === 'start' ? state : `${command} ${state}`}${note} — ${url}`;
}

async function run(
  command: Command,
  entities: Entity[],
  config: Config,
  client: Client,
  deps: StreamStatusDeps,
): Promise<void> {
  for (const entity of entities) {
    const { stream, topic } = streamInput(config, entity);
    if (command === 'start') {
      try {
        await startStreamShards(client, config, deps.admin, entity);
      } catch (err) {
        if (!(err instanceof ReshardWhileRunningError)) throw err;
        console.log(err.message);
        process.exitCode = 1;
        continue;
      }
    }
    // Every shard of the stream: those running, or else those the configuration gives.
    for (const shard of await streamShardsOf(deps, { stream, topic }, config.STREAM_SHARDS)) {
      const id = shardWorkflowId(stream, shard);
      const ref = { stream, entity, topic, workflowId: id, shard };
      const url = workflowUrl(config.TEMPORAL_UI_URL, config.TEMPORAL_NAMESPACE, id);
      try {
        if (command === 'status') {
          console.log(formatStatus(await readStreamStatus(deps, ref)));
          continue;
        }
        if (command !== 'start') {
          const signal = { pause: pauseSignal, resume: resumeSignal, stop: stopSignal }[command];
          await client.workflow.getHandle(id).signal(signal);
        }
        console.log(afterCommand(command, await readStreamStatus(deps, ref), url));
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        console.log(`${id}: not running (npm run stream:start)`);
      }
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
  const pool = createPool({ ...config, DATABASE_POOL_MAX: 2 });
  const kafka = lazyAdmin(createKafka(config));
  try {
    const deps = { temporal: client, pool, admin: kafka.admin, schema: config.STREAM_SCHEMA };
    await run(command as Command, names.length ? (names as Entity[]) : [...ENTITIES], config, client, deps);
  } finally {
    await kafka.close().catch(() => undefined);
    await pool.end();
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
