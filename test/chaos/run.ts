// A chaos run (`npm run chaos`): an isolated pipeline under a steady load from the emulator and a
// poison producer, faults injected at seeded random moments for the given time; then, with the
// faults and the load stopped, the invariants checked and reported.
import { seededRandom } from '../../domain/seeded-random.ts';
import { utcDay } from '../../domain/batch-keys.ts';
import type { BatchDayReport } from '../../domain/batch-report.ts';
import { streamName } from '../../domain/stream-wire.ts';
import { ENTITIES, entityTopic, type Entity } from '../../domain/wire.ts';
import { createIngestClient } from '../../emulator/ingest-client.ts';
import { runEmulator } from '../../emulator/run.ts';
import type { Summary } from '../../emulator/stats.ts';
import { liveLag } from '../../infra/stream-status.ts';
import { batchDay } from '../../workflows/batch-day.ts';
import { createChaosEnvironment, type ChaosEnvironment } from './environment.ts';
import {
  FAULT_KINDS,
  FaultInjector,
  pickFault,
  RECOVERY_LIMIT_MS,
  type FaultKind,
  type FaultRecord,
} from './faults.ts';
import { PoisonProducer, type PoisonStats } from './poison.ts';
import {
  checkAcknowledged,
  checkBatchDay,
  checkDeadLetters,
  checkExactlyOnce,
  checkSpeedTables,
  type Check,
} from './verify.ts';
import { Witness } from './witness.ts';

export interface ChaosOptions {
  minutes: number;
  seed: number;
  /** Records per second the emulator posts. */
  rate: number;
  /** Between one fault's recovery and the next fault, in seconds: [min, max). */
  gapSeconds: [number, number];
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  minutes: number;
  faults: FaultRecord[];
  byKind: Record<FaultKind, { count: number; recoveryP50Ms: number | null; recoveryMaxMs: number | null }>;
  emulator: Summary;
  poison: PoisonStats;
  batchRuns: {
    started: number;
    succeeded: number;
    failed: { id: string; type?: string; message?: string }[];
  };
  /** From the end of the last fault until every stream's lag was 0; null if it never was. */
  drainMs: number | null;
  checks: Check[];
  ok: boolean;
  logDir: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const refusedCount = (w: Witness) => ENTITIES.reduce((n, e) => n + w.entities[e].refused.size, 0);
const poisonTaken = (p: PoisonStats) => Object.values(p.sent).reduce((a, b) => a + b, 0);

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Until every stream's lag against Kafka's high watermarks is 0; null after the limit. */
async function drained(env: ChaosEnvironment, limitMs: number): Promise<number | null> {
  const started = Date.now();
  const deps = { pool: env.pool, admin: async () => env.admin, schema: env.config.STREAM_SCHEMA };
  while (Date.now() - started < limitMs) {
    const lags = await Promise.all(
      ENTITIES.map((e) =>
        liveLag(deps, {
          stream: streamName(e, env.config.STREAM_ID_PREFIX),
          topic: entityTopic(env.config.KAFKA_TOPIC_PREFIX, e),
        }).then((ps) => ps.reduce((n, p) => n + p.lag, 0)),
      ),
    ).catch(() => [1]);
    if (lags.every((l) => l === 0)) return Date.now() - started;
    await sleep(500);
  }
  return null;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed);
  log(`setting up an isolated pipeline (private Kafka, PostgreSQL, S3; 2 workers, the API, 3 streams)`);
  const env = await createChaosEnvironment();
  log(`logs of its processes: ${env.logDir}`);
  const witness = new Witness(env.kafka, env.config.KAFKA_TOPIC_PREFIX);
  const poison = new PoisonProducer(env.kafka, env.config.KAFKA_TOPIC_PREFIX, seededRandom(options.seed + 1));
  const day = utcDay(Date.now());
  const faults = new FaultInjector(env, witness, random, () => day);
  const acknowledged = new Map<Entity, Map<string, number>>(ENTITIES.map((e) => [e, new Map()]));
  const stopLoad = new AbortController();
  let emulator: Promise<Summary> | undefined;
  try {
    await witness.start();
    await poison.start(1_500);
    const post = createIngestClient({
      baseUrl: `http://127.0.0.1:${env.config.API_PORT}`,
      apiKey: env.config.API_KEY,
    });
    emulator = runEmulator(
      { seed: options.seed, rate: options.rate, concurrency: 4 },
      {
        source: env.source.reader,
        signal: stopLoad.signal,
        post: async (entity, record) => {
          const result = await post(entity, record);
          if (result.status === 'accepted') {
            const counts = acknowledged.get(entity)!;
            const value = JSON.stringify(record);
            counts.set(value, (counts.get(value) ?? 0) + 1);
          }
          return result;
        },
      },
    );

    const records: FaultRecord[] = [];
    const until = Date.now() + options.minutes * 60_000;
    const [gapMin, gapMax] = options.gapSeconds;
    await sleep(5_000);
    while (Date.now() < until) {
      const kind = pickFault(random);
      const fault = await faults.inject(kind).catch((err: unknown): FaultRecord => ({
        kind,
        at: Date.now(),
        restoredAt: Date.now(),
        recoveryMs: null,
        note: `the fault could not be injected or undone: ${(err as Error).stack ?? String(err)}`,
      }));
      records.push(fault);
      const recovered =
        fault.recoveryMs === undefined
          ? ''
          : ` recovered in ${fault.recoveryMs === null ? 'never' : `${(fault.recoveryMs / 1000).toFixed(1)} s`}`;
      log(`fault ${records.length}: ${kind}${recovered}${fault.note ? ` (${fault.note})` : ''}`);
      // A part that did not come back is a broken invariant to report, not a reason to go on.
      if (fault.recoveryMs === null) break;
      await sleep((gapMin + random() * (gapMax - gapMin)) * 1_000);
    }

    log('faults stopped; stopping the load, waiting for the streams to drain');
    const lastFaultEnd = Math.max(...records.map((r) => r.restoredAt), Date.now());
    stopLoad.abort();
    const summary = await emulator;
    await poison.stop();
    const drain = await drained(env, RECOVERY_LIMIT_MS);
    const drainMs = drain === null ? null : Date.now() - lastFaultEnd;
    // The witness must have seen every record before the checks.
    await sleep(2_000);

    log('a last batch day for the day, then every batch run of the chaos');
    const final = await env.temporal.workflow.execute(batchDay, {
      workflowId: `${env.id}-final-${day}`,
      taskQueue: env.config.PIPELINE_TASK_QUEUE,
      args: [{ date: day, idPrefix: env.config.BATCH_ID_PREFIX }],
    });
    const outcomes = await Promise.all(
      faults.batchRuns.map(async (r) => ({ id: r.id, ...(await r.result) })),
    );

    const checks: Check[] = [
      checkAcknowledged(witness, acknowledged),
      await checkSpeedTables(env, witness),
      await checkExactlyOnce(env, witness),
      await checkDeadLetters(env, witness),
      await checkBatchDay(env, witness, final as BatchDayReport),
      {
        name: 'no stream stuck',
        ok: drainMs !== null && drainMs <= RECOVERY_LIMIT_MS,
        detail:
          drainMs === null
            ? 'a stream still lags'
            : `lag 0 ${(drainMs / 1000).toFixed(1)} s after the last fault`,
      },
      {
        name: 'every fault recovered within 60 s',
        ok: records.every(
          (r) => r.recoveryMs === undefined || (r.recoveryMs !== null && r.recoveryMs < RECOVERY_LIMIT_MS),
        ),
        detail: `slowest ${Math.max(0, ...records.map((r) => r.recoveryMs ?? 0)) / 1000} s`,
      },
      {
        name: 'every batch day run succeeded',
        ok: outcomes.every((o) => o.ok),
        detail: `${outcomes.filter((o) => o.ok).length} of ${outcomes.length} runs started during the chaos, and the last one`,
      },
      {
        name: 'every poison record Kafka took is refused by the cleaning',
        ok: poisonTaken(poison.stats) <= refusedCount(witness),
        detail: `${poisonTaken(poison.stats)} acknowledged by Kafka, ${refusedCount(witness)} refused (failed sends may have landed too)`,
      },
      {
        name: 'the broker refuses timestamps far ahead',
        ok: poison.stats.futureAccepted === 0,
        detail: `${poison.stats.futureRefused} refused, ${poison.stats.futureAccepted} accepted`,
      },
    ];
    const byKind = Object.fromEntries(
      FAULT_KINDS.map((kind) => {
        const of = records.filter((r) => r.kind === kind);
        const times = of.flatMap((r) => (typeof r.recoveryMs === 'number' ? [r.recoveryMs] : []));
        return [
          kind,
          {
            count: of.length,
            recoveryP50Ms: percentile(times, 0.5),
            recoveryMaxMs: times.length ? Math.max(...times) : null,
          },
        ];
      }),
    ) as ChaosReport['byKind'];
    return {
      seed: options.seed,
      minutes: options.minutes,
      faults: records,
      byKind,
      emulator: summary,
      poison: poison.stats,
      batchRuns: {
        started: outcomes.length,
        succeeded: outcomes.filter((o) => o.ok).length,
        failed: outcomes.filter((o) => !o.ok).map(({ id, type, message }) => ({ id, type, message })),
      },
      drainMs,
      checks,
      ok: checks.every((c) => c.ok),
      logDir: env.logDir,
    };
  } finally {
    // Whatever happened, the load stops before the services it reads go away.
    stopLoad.abort();
    await emulator?.catch(() => undefined);
    await poison.stop().catch(() => undefined);
    await witness.stop().catch(() => undefined);
    await env.close();
  }
}

export function formatReport(r: ChaosReport): string {
  const s = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);
  const accepted = r.emulator.accepted;
  return [
    `chaos: ${r.minutes} min, seed ${r.seed}, ${r.faults.length} faults; ${accepted} records acknowledged by the API`,
    `${'fault'.padEnd(15)}${'count'.padStart(6)}${'recovery p50'.padStart(14)}${'max'.padStart(9)}`,
    ...FAULT_KINDS.map((k) => {
      const x = r.byKind[k];
      return `${k.padEnd(15)}${String(x.count).padStart(6)}${s(x.recoveryP50Ms).padStart(14)}${s(x.recoveryMaxMs).padStart(9)}`;
    }),
    `poison: ${Object.entries(r.poison.sent)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}; ${r.poison.failed} sends failed (Kafka down)`,
    `batch day runs: ${r.batchRuns.succeeded} of ${r.batchRuns.started} succeeded${r.batchRuns.failed.length ? `; failed: ${r.batchRuns.failed.map((f) => `${f.id} ${f.type}: ${f.message}`).join('; ')}` : ''}`,
    ...r.checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`),
    r.ok ? 'all invariants hold' : `INVARIANTS BROKEN (process logs: ${r.logDir})`,
  ].join('\n');
}
