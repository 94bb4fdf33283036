// `npm run emulate -- <options>`: replays the seeded source data set to the ingest API.
import { randomInt } from 'node:crypto';
import { loadConfigOrExit } from '../infra/config.ts';
import { createPool } from '../infra/db.ts';
import { exitOnUsageError } from './cli.ts';
import { UnauthorizedError } from './errors.ts';
import { createIngestClient } from './ingest-client.ts';
import { EMULATOR_HELP, MAX_CONCURRENCY, parseEmulatorOptions, type EmulatorOptions } from './options.ts';
import { createProgress, type Progress } from './progress.ts';
import { runEmulator } from './run.ts';
import { createSourceReader } from './source-db.ts';
import { fallingBehind, formatSummary, totals, type Tally } from './stats.ts';

const PROGRESS_FORMAT =
  '{posts} posts | {rate} records/s, {loops} loop(s) | {accepted} accepted, {rejected} rejected, {errors} errors, {retries} retries';

/** How long a run with --rate may fall behind it before the emulator says so (once). */
const BEHIND_GRACE_MS = 5_000;

function progressFor(options: EmulatorOptions): { progress: Progress; update: (tally: Tally) => void } {
  const started = performance.now();
  const bounded = options.count ?? options.duration;
  const format = bounded
    ? `emulating [{bar}] {percentage}% | ${PROGRESS_FORMAT}`
    : `emulating | ${PROGRESS_FORMAT}`;
  const progress = createProgress(bounded ?? 1, format, {
    posts: 0,
    rate: 0,
    loops: 0,
    accepted: 0,
    rejected: 0,
    errors: 0,
    retries: 0,
  });
  let warned = false;
  const update = (tally: Tally) => {
    const elapsedMs = performance.now() - started;
    const value = options.count ? tally.posts : Math.min(options.duration ?? 0, elapsedMs / 1000);
    const sum = totals(tally);
    const rate = Math.round((sum.sent * 1000) / Math.max(elapsedMs, 1));
    progress.update(value, { posts: tally.posts, rate, loops: tally.loops, retries: tally.retries, ...sum });
    // Said once, while running, when more loops cannot help: --concurrency fixed them, or the most are running.
    if (warned || options.rate === undefined || elapsedMs < BEHIND_GRACE_MS) return;
    const chosen = options.concurrency === undefined ? 'auto' : 'fixed';
    if (chosen === 'auto' && tally.loops < MAX_CONCURRENCY) return;
    const behind = fallingBehind(options.rate, rate, tally.loops, chosen, tally.latency.percentile(50));
    if (!behind) return;
    warned = true;
    progress.log(`warning: ${behind}`);
  };
  return { progress, update };
}

/** Ctrl-C or SIGTERM stops the run cleanly; a second one quits at once. */
function stopOnSignals(controller: AbortController): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    console.error(`\n${signal}: finishing in-flight requests (again to quit now)`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

async function main(): Promise<void> {
  let options: EmulatorOptions;
  try {
    options = parseEmulatorOptions(process.argv.slice(2));
  } catch (err) {
    exitOnUsageError(err, EMULATOR_HELP);
  }
  if (options.help) return console.log(EMULATOR_HELP);

  const config = loadConfigOrExit();
  const baseUrl = options.api ?? config.API_BASE_URL;
  const seed = options.seed ?? randomInt(2 ** 32);
  const pool = createPool(config);
  const controller = new AbortController();
  const releaseSignals = stopOnSignals(controller);
  const { progress, update } = progressFor(options);
  try {
    const summary = await runEmulator(
      { ...options, seed },
      {
        source: createSourceReader(pool),
        post: createIngestClient({ baseUrl, apiKey: config.API_KEY }),
        signal: controller.signal,
        onProgress: update,
      },
    );
    progress.stop();
    console.log(options.json ? JSON.stringify(summary) : formatSummary(summary));
    if (summary.stoppedBy === 'unauthorized') {
      console.error(new UnauthorizedError(baseUrl).message);
      process.exitCode = 1;
    }
  } finally {
    progress.stop();
    releaseSignals();
    await pool.end();
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
