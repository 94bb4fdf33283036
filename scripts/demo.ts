// `npm run demo` (after scripts/demo.sh has brought the stack up): the whole pipeline in one terminal.
// Setup, the source data set, a worker, the API and its dashboard, the streams, the emulator, then
// one batch day over what was ingested; it runs until Ctrl-C, then stops what it started, in order,
// and says what stays running.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { utcDay } from '../domain/batch-keys.ts';
import type { PipelineStatus } from '../api/serving/contract.ts';
import { loadConfigOrExit, type Config } from '../infra/config.ts';
import { scheduleUrl, workflowUrl } from '../infra/temporal.ts';
import {
  ChildExitError,
  describeExit,
  emulatorSummary,
  ensureSourceSeeded,
  ProcessGroup,
  ROOT,
  startStreams,
  TERMINAL,
  type PipelineProcess,
  type StopResult,
} from './pipeline-processes.ts';

/** Records/s (a post is 3): 600 posts a minute fill every chart within the first minute. */
const DEMO_RATE = 30;
/** Long enough for the streams to have loaded something, short enough to keep the audience. */
const INGEST_BEFORE_BATCH_MS = 45_000;
const STATUS_EVERY_MS = 30_000;
const STOP_WAIT_S = 15;
const LOG_DIR = path.join(ROOT, '.stack', 'logs', 'demo');

const started = Date.now();
/** When ./scripts/demo.sh started (installs and the stack included), to say how long the wait was. */
const commandStarted = Number(process.env.PINPIPE_DEMO_STARTED_MS) || started;
const say = (line: string) => console.log(`[demo +${Math.round((Date.now() - started) / 1000)}s] ${line}`);
const relative = (file: string) => path.relative(process.cwd(), file);

class Interrupted extends Error {
  override readonly name = 'Interrupted';
}

/** Rejects on the first Ctrl-C (or SIGTERM); a second one kills the children and exits at once. */
function interruption(group: ProcessGroup): Promise<never> {
  return new Promise((_, reject) => {
    let interrupted = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (interrupted) {
        group.killAll();
        console.error(`\n[demo] ${signal} again: killed the demo's processes`);
        process.exit(130);
      }
      interrupted = true;
      console.log('');
      say(`${signal}: stopping what the demo started (Ctrl-C again to kill it at once)`);
      reject(new Interrupted(signal));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function uiUrls(config: Config, streamIds: string[]): string[] {
  return [
    `  Schedule         ${scheduleUrl(config.TEMPORAL_UI_URL, config.TEMPORAL_NAMESPACE, config.BATCH_SCHEDULE_ID)}`,
    ...streamIds.map(
      (id) => `  ${id.padEnd(16)} ${workflowUrl(config.TEMPORAL_UI_URL, config.TEMPORAL_NAMESPACE, id)}`,
    ),
  ];
}

function printUrls(config: Config, streamIds: string[], processes: PipelineProcess[]): void {
  const logs = processes.map((p) => `${p.name} ${relative(p.logFile ?? '')}`).join(', ');
  console.log(
    [
      '',
      `  Dashboard        http://localhost:${config.API_PORT}/`,
      `  Temporal UI      ${config.TEMPORAL_UI_URL}`,
      ...uiUrls(config, streamIds),
      `  Logs             ${logs}`,
      '',
      '  Ctrl-C stops the emulator, the API and the worker.',
      '',
    ].join('\n'),
  );
}

async function printStatus(config: Config): Promise<void> {
  try {
    const res = await fetch(`http://127.0.0.1:${config.API_PORT}/v1/pipeline/status`, {
      signal: AbortSignal.timeout(5_000),
    });
    if (!res.ok) return say(`pipeline status unavailable: HTTP ${res.status} (see the API's log)`);
    const status = (await res.json()) as PipelineStatus;
    const lag = status.streams.map((s) => `${s.entity} ${s.state}, lag ${s.lag}`).join('; ');
    say(`${status.ingest.recordsProduced.toLocaleString('en-US')} records ingested · streams: ${lag}`);
  } catch (err) {
    say(`pipeline status unavailable: ${(err as Error).message}`);
  }
}

function report(err: unknown): void {
  if (err instanceof ChildExitError) {
    say(`error: ${err.message} unexpectedly; its last output:`);
    for (const line of err.lastLines.slice(-10)) console.error(`  ${line.slice(0, 240)}`);
    if (err.logFile) console.error(`  full log: ${relative(err.logFile)}`);
  } else {
    say(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
}

function reportStopped(result: StopResult, emulator: PipelineProcess | undefined): void {
  const how = result.killed ? `killed after ${STOP_WAIT_S} s without exiting` : describeExit(result.status);
  say(`${result.name} stopped (${how})`);
  const summary = result.name === 'emulator' && emulator ? emulatorSummary(emulator) : undefined;
  if (summary) {
    say(
      `emulator: ${summary.posts.toLocaleString('en-US')} posts in ${Math.round(summary.durationSeconds)} s, ` +
        `${summary.accepted.toLocaleString('en-US')} records accepted, ${summary.rejected} rejected, ` +
        `${summary.errors} errors`,
    );
  }
}
function printLeftRunning(config: Config, streamIds: string[]): void {
  const lines = [
    'left running:',
    '  the local stack (PostgreSQL, Temporal, Kafka, SeaweedFS for S3) and its data: `npm run stack:down` stops it',
  ];
  if (streamIds.length > 0) {
    lines.push(
      `  the stream workflows ${streamIds.join(', ')}: still Running in Temporal, they resume from their`,
      '    checkpoints when a worker runs again (`npm run worker` or `npm run demo`); `npm run stream:stop` ends them',
      `  the Schedule ${config.BATCH_SCHEDULE_ID}: its daily run (00:15 UTC) waits for a worker the same way`,
    );
  }
  say(lines.join('\n'));
  say(`the logs of this run are in ${relative(LOG_DIR)}/`);
}

async function main(): Promise<number> {
  const config = loadConfigOrExit();
  const group = new ProcessGroup(process.env, { to: 'files', dir: LOG_DIR });
  const interrupted = interruption(group);
  const step = <T>(work: Promise<T>): Promise<T> => Promise.race([work, group.crashed, interrupted]);
  let streamIds: string[] = [];
  let emulator: PipelineProcess | undefined;
  let exitCode = 0;
  try {
    say('setup: migrations, topics, bucket, search attributes');
    await step(group.run('setup', 'scripts/setup.ts', [], TERMINAL));
    if (await step(ensureSourceSeeded(group, TERMINAL))) say('source tables seeded');

    say(`starting a worker (log: ${relative(path.join(LOG_DIR, 'worker.log'))})`);
    const worker = await step(group.startWorker());
    say(`starting the API on :${config.API_PORT} (log: ${relative(path.join(LOG_DIR, 'api.log'))})`);
    const api = await step(group.startApi());
    streamIds = await step(startStreams(config));
    say(`streams running: ${streamIds.join(', ')}`);

    emulator = group.start('emulator', 'emulator/main.ts', ['--rate', String(DEMO_RATE), '--json']);
    say(
      `emulator posting ${DEMO_RATE} records/s: the dashboard fills now at http://localhost:${config.API_PORT}/ ` +
        `(ready ${Math.round((Date.now() - commandStarted) / 1000)} s after the command started)`,
    );
    say(`a batch day over today's records runs in ${INGEST_BEFORE_BATCH_MS / 1000} s`);
    await step(sleep(INGEST_BEFORE_BATCH_MS));

    const today = utcDay(Date.now());
    say(`batch day ${today}, now: the day has not ended, so its report says dayComplete=false`);
    await step(group.run('batch', 'scripts/batch.ts', ['--date', today], TERMINAL)).catch((err: unknown) => {
      // A failed day is the batch layer's news, not the end of the demo: its history is in the UI.
      if (!(err instanceof ChildExitError) || err.child !== 'batch') throw err;
      say(`the batch day failed (${describeExit(err.status)}): see its output above`);
    });

    printUrls(config, streamIds, [worker, api, emulator]);
    const timer = setInterval(() => void printStatus(config), STATUS_EVERY_MS);
    try {
      await step(new Promise<never>(() => undefined));
    } finally {
      clearInterval(timer);
    }
  } catch (err) {
    if (!(err instanceof Interrupted)) {
      report(err);
      exitCode = 1;
    }
  } finally {
    await group.stopAll(STOP_WAIT_S * 1000, (result) => reportStopped(result, emulator));
    printLeftRunning(config, streamIds);
  }
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
