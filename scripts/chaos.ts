// `npm run chaos -- --minutes M --seed S [--rate R] [--json FILE]`: an isolated pipeline under load and
// faults at seeded random moments (workers, the API and Kafka killed, PostgreSQL and S3 stopped, batch
// days overlapping, old records deleted), then the invariants checked: nothing lost, nothing
// duplicated, nothing stuck. Exits 1 if any is broken. Needs the stack's Temporal (npm run stack:up).
import { writeFile } from 'node:fs/promises';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { z } from 'zod';
import { exitOnUsageError, numeric, parseCommandLine } from '../emulator/cli.ts';
import { formatReport, runChaos } from '../test/chaos/run.ts';

const HELP = `Usage: npm run chaos -- [--minutes M] [--seed S] [--rate R] [--json FILE]

Runs an isolated pipeline (Kafka, PostgreSQL and S3 of its own, two workers, the API, the three
streams) with the emulator posting R records/s and poison written straight to Kafka, injects a fault
every 3-10 s after the last one healed, for M minutes, then checks: every acknowledged record is in
Kafka, the speed tables are the latest event per post, each record applied once, the dead letters
are exactly the poison, the day's batch rows are its archive, no stream stuck, every fault healed
within 60 s. The same seed gives the same faults at the same moments.

  --minutes M   how long faults are injected (default 3)
  --seed S      the seed of the fault schedule and of the load (default 1)
  --rate R      records per second the emulator posts (default 60)
  --json FILE   also write the whole report as JSON
  --help        show this help`;

const Options = z.object({
  minutes: numeric(z.number().positive('expected a number of minutes > 0')).default(3),
  seed: numeric(
    z
      .int()
      .min(0)
      .max(2 ** 32 - 1),
  ).default(1),
  rate: numeric(z.number().positive('expected records per second > 0')).default(60),
  json: z.string().optional(),
});

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) return console.log(HELP);
  let options: z.infer<typeof Options>;
  try {
    options = parseCommandLine(
      argv,
      {
        minutes: { type: 'string' },
        seed: { type: 'string' },
        rate: { type: 'string' },
        json: { type: 'string' },
      },
      Options,
    );
  } catch (err) {
    exitOnUsageError(err, HELP);
  }
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const report = await runChaos({
    ...options,
    gapSeconds: [3, 10],
    log: (line) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`),
  });
  console.log(formatReport(report));
  if (options.json) await writeFile(options.json, `${JSON.stringify(report, null, 2)}\n`);
  process.exitCode = report.ok ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
