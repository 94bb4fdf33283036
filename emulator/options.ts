// `npm run emulate` options: parsed by node's parseArgs, validated by zod.
import { z } from 'zod';
import { numeric, parseCommandLine } from './cli.ts';

export const MAX_CONCURRENCY = 256;

export const EMULATOR_HELP = `Usage: npm run emulate -- [options]

Replays the source data set to the ingest API like the original run_infinite_post_data_loop: picks
a random post, POSTs its pin, geo and user records, sleeps, repeats. Runs until Ctrl-C unless
--duration or --count ends it sooner.

  --rate <records/s>     steady rate over all loops (default: a random 0-2 s sleep after each post)
  --duration <seconds>   stop after this long
  --count <posts>        stop after this many posts
  --concurrency <n>      parallel posting loops, each one request at a time (at most ${MAX_CONCURRENCY}; default:
                         1, or with --rate as many as the rate needs, added while it falls behind)
  --seed <n>             makes the choice of posts and sleeps reproducible, loop by loop (default: random)
  --api <url>            ingest API base URL (default: API_BASE_URL)
  --json                 print the summary as one JSON line
  --help                 show this help`;

const positive = (what: string) =>
  numeric(z.number({ error: `expected ${what}` }).positive(`expected ${what}`));

export const EmulatorOptions = z.object({
  rate: positive('a number of records per second > 0').optional(),
  duration: positive('a number of seconds > 0').optional(),
  count: numeric(
    z.int({ error: 'expected a whole number > 0' }).positive('expected a whole number > 0'),
  ).optional(),
  concurrency: numeric(
    z
      .int({ error: `expected a whole number from 1 to ${MAX_CONCURRENCY}` })
      .min(1, 'expected at least 1')
      .max(MAX_CONCURRENCY, `expected at most ${MAX_CONCURRENCY}`),
  ).optional(),
  seed: numeric(
    z
      .int({ error: 'expected an integer' })
      .min(0, 'expected an integer >= 0')
      .max(2 ** 32 - 1, 'expected < 2^32'),
  ).optional(),
  api: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  json: z.boolean().default(false),
  help: z.boolean().default(false),
});
export type EmulatorOptions = z.infer<typeof EmulatorOptions>;

const SYNTAX = {
  rate: { type: 'string' },
  duration: { type: 'string' },
  count: { type: 'string' },
  concurrency: { type: 'string' },
  seed: { type: 'string' },
  api: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Throws UsageError naming the bad option. */
export function parseEmulatorOptions(argv: readonly string[]): EmulatorOptions {
  return parseCommandLine(argv, SYNTAX, EmulatorOptions);
}
