// `npm run emulate -- <options>`: replays the seeded source data set to the ingest API.
import { randomInt } from 'node:crypto';
import { loadConfigOrExit } from '../infra/config.ts';
import { createPool } from '../infra/db.ts';
import { exitOnUsageError } from './cli.ts';
import { UnauthorizedError } from './errors.ts';
import { createIngestClient } from './ingest-client.ts';
import { EMULATOR_HELP, parseEmulatorOptions, type EmulatorOptions } from './options.ts';
import { createProgress, type Progress } from './progress.ts';
import { runEmulator } from './run.ts';
import { createSourceReader } from './source-db.ts';
import { formatSummary, totals, type Tally } from './stats.ts';

const PROGRESS_FORMAT =
  '{posts} posts | {accepted} accepted, {rejected} rejected, {errors} errors, {retries} retries';

function progressFor(options: EmulatorOptions): { progress: Progress; update: (tally: Tally) => void } {
  const started = performance.now();
  const bounded = options.count ?? options.duration;
  const format = bounded
    ? `emulating [{bar}] {percentage}% | ${PROGRESS_FORMAT}`
    : `emulating | ${PROGRESS_FORMAT}`;
  const progress = createProgress(bounded ?? 1, format, {
    posts: 0,
    accepted: 0,
    rejected: 0,
    errors: 0,
    retries: 0,
  });
  const update = (tally: Tally) => {
    const value = options.count
      ? tally.posts
      : Math.min(options.duration ?? 0, (performance.now() - started) / 1000);
    progress.update(value, { posts: tally.posts, retries: tally.retries, ...totals(tally) });
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
