// BatchDay(date): one UTC day through the batch layer, export → download → clean → load → views.
// Started by the `batch-daily` Schedule (the day before its scheduled time), by a backfill, or by hand
// (`npm run batch -- --date`). Activities pass keys and counts, never records. An outage is retried
// with back-off until it ends; a bad record is counted and reported; only a permanent error fails it.
// One run works on a day at a time: the one whose workflow id is the day's (batchWorkflowId); any
// other run of the day runs it as a child under that id, waiting while another run has it.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log,
  patched,
  proxyActivities,
  sleep,
  startChild,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { BatchActivities, BatchLocalActivities } from '../activities/batch/index.ts';
import type { BatchUnitActivities, CleanResult } from '../activities/batch/local.ts';
import { archivedExport, type PartitionArchive } from '../domain/batch-archive.ts';
import {
  batchUnitsQueue,
  batchWorkflowId,
  dayBeforeScheduledTime,
  isBatchDay,
  SCHEDULED_START_TIME,
  type BatchDay,
  type BatchOutcome,
} from '../domain/batch-keys.ts';
import { FAILURES, innermostMessage, PERMANENT_FAILURES } from '../domain/failures.ts';
import type {
  BatchDayReport,
  BatchPhase,
  EntityLoaded,
  PartitionExport,
  RejectCounts,
  UnitCleaned,
  UnitReport,
} from '../domain/batch-report.ts';
import { byEntity, ENTITIES, SEARCH_ATTRIBUTES, type Entity } from '../domain/wire.ts';

export interface BatchDayInput {
  /** `YYYY-MM-DD`. Left out by the Schedule: the run covers the day before its scheduled time. */
  date?: string;
  /** BATCH_ID_PREFIX: the day's workflow id is `${idPrefix}batch-<date>`. Default ''. */
  idPrefix?: string;
}

/** An outage (Kafka, S3, PostgreSQL down) is waited out: back-off up to a minute, no attempt limit. */
const retry: ActivityOptions['retry'] = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  nonRetryableErrorTypes: [...PERMANENT_FAILURES],
};

const { planBatchExport, getBatchWorkerQueue, publishBatchReport } = proxyActivities<BatchActivities>({
  startToCloseTimeout: '2 minutes',
  retry,
});
const LONG_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  retry,
};
const {
  exportBatchPartition: exportOnSharedQueue,
  loadBatchEntity,
  loadBatchDay,
  refreshBatchViews,
} = proxyActivities<BatchActivities>(LONG_OPTIONS);
const { publishBatchDay } = proxyActivities<BatchActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  retry,
});
const { markBatchDayFailed } = proxyActivities<BatchActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { ...retry, maximumAttempts: 5 },
});

/**
 * Runs started before units (the patch below) download and clean the whole day on one worker.
 * Replaying them takes that path again; new runs cut the day into units.
 */
const UNITS_PATCH = 'batch-day-units';

/**
 * A unit on the units queue (every worker polls it). A worker that dies stops heartbeating, and the
 * unit, only it, is retried on another worker, which downloads it again.
 */
const UNIT_OPTIONS: Omit<ActivityOptions, 'taskQueue'> = {
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '20 seconds',
  retry,
};

/**
 * On a worker's own queue (runs started before units). A worker that dies stops heartbeating; the retry then waits on a queue
 * nobody polls, and schedule-to-start (enforced per attempt, never retried) ends it, so the workflow
 * can start the download and the clean over on another worker.
 */
const LOCAL_OPTIONS: ActivityOptions = {
  scheduleToStartTimeout: '30 seconds',
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '20 seconds',
  retry,
};
/** Workers the download and clean may move to before the day fails. */
const MAX_LOCAL_WORKERS = 5;

export async function batchDay(input: BatchDayInput = {}): Promise<BatchDayReport> {
  const day = resolveDay(input);
  const dayId = batchWorkflowId(day, input.idPrefix ?? '');
  if (workflowInfo().workflowId !== dayId) return runAsTheDay(day, dayId, input.idPrefix);
  setOutcome(day, 'running');
  try {
    const report = await runDay(day);
    setOutcome(day, 'succeeded');
    return report;
  } catch (err) {
    setOutcome(day, isCancellation(err) ? 'cancelled' : 'failed');
    await CancellationScope.nonCancellable(() =>
      markBatchDayFailed({ day, error: innermostMessage(err) }).catch((e: unknown) =>
        log.warn('could not record the failed day', { error: innermostMessage(e) }),
      ),
    );
    throw err;
  }
}

/** How often a run waits to start the day while another run has it. */
const WAIT_FOR_THE_DAY = '30 seconds';

/**
 * Runs the day as a child under the day's own workflow id. While another run of the day is under
 * way (a manual run when the Schedule fires, say), the start is refused and this run waits, then
 * starts the day again after it: the later run's answer is the one that stays.
 */
async function runAsTheDay(day: BatchDay, dayId: string, idPrefix?: string): Promise<BatchDayReport> {
  for (;;) {
    try {
      const child = await startChild(batchDay, {
        workflowId: dayId,
        args: [{ date: day, ...(idPrefix ? { idPrefix } : {}) }],
        // This run ending first (cancelled, terminated) asks the day's run to cancel too.
        parentClosePolicy: 'REQUEST_CANCEL',
        typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.batchDate, value: day }],
      });
      setOutcome(day, 'running');
      const report = await child.result();
      setOutcome(day, 'succeeded');
      return report;
    } catch (err) {
      // By name: the sandbox is a realm of its own (shared/CONVENTIONS.md).
      if (err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError') {
        setOutcome(day, 'waiting');
        log.info('another run of the day is under way; waiting for it', { day, dayId });
        await sleep(WAIT_FOR_THE_DAY);
        continue;
      }
      setOutcome(day, isCancellation(err) ? 'cancelled' : 'failed');
      throw err;
    }
  }
}

function resolveDay({ date }: BatchDayInput): BatchDay {
  if (date !== undefined) {
    if (isBatchDay(date)) return date;
    throw ApplicationFailure.nonRetryable(
      `not a day (YYYY-MM-DD): ${JSON.stringify(date)}`,
      FAILURES.BatchInvalidDay,
    );
  }
  const scheduled = workflowInfo().typedSearchAttributes.get(SCHEDULED_START_TIME);
  if (scheduled === undefined) {
    throw ApplicationFailure.nonRetryable(
      'no date given, and no Schedule started this run',
      FAILURES.BatchInvalidDay,
    );
  }
  return dayBeforeScheduledTime(new Date(scheduled).getTime());
}

function setOutcome(day: BatchDay, outcome: BatchOutcome): void {
  upsertSearchAttributes([
    { key: SEARCH_ATTRIBUTES.batchDate, value: day },
    { key: SEARCH_ATTRIBUTES.batchOutcome, value: outcome },
  ]);
}

async function runDay(day: BatchDay): Promise<BatchDayReport> {
  const phasesMs = {} as Record<BatchPhase, number>;
  const started = Date.now();
  const timed = async <T>(phase: BatchPhase, fn: () => Promise<T>): Promise<T> => {
    const from = Date.now();
    const result = await fn();
    phasesMs[phase] = Date.now() - from;
    return result;
  };

  const units = patched(UNITS_PATCH);
  const { exports, dayComplete } = await timed('export', () => exportDay(day, units));
  const { cleaned, workers, downloadMs, cleanMs, unitReports } = units
    ? await cleanUnits(day, exports)
    : await cleanOnOneWorker(
        day,
        byEntity((e) => exports[e].flatMap((p) => p.objects.map((o) => o.key))),
      );
  phasesMs.download = downloadMs;
  phasesMs.clean = cleanMs;
  checkCounts(exports, cleaned);
  const loaded = await timed('load', () =>
    unitReports
      ? loadEntities(day, unitReports)
      : loadBatchDay({ day, latest: byEntity((e) => cleaned[e].latestObjects.map((o) => o.key)) }),
  );
  const views = await timed('views', () => refreshBatchViews());
  phasesMs.total = Date.now() - started;

  const report = buildReport({
    day,
    dayComplete,
    started,
    exports,
    cleaned,
    loaded,
    views,
    phasesMs,
    workers,
    units: unitReports?.map(unitReport),
  });
  await publishBatchReport(report);
  return report;
}

/**
 * Per entity and Kafka partition, in parallel (more workers finish it sooner): the partitions whose
 * archive is reused as it is need no activity; the others are exported and their archive written,
 * on the units queue (any worker, a few at a time each; before units, on the shared queue).
 */
async function exportDay(day: BatchDay, units: boolean) {
  const exportBatchPartition = units ? exportOnUnitsQueue() : exportOnSharedQueue;
  const plan = await planBatchExport({ day });
  const results = await Promise.all(
    plan.partitions.map(async (p) => ({
      entity: p.entity,
      result:
        !p.write && p.archive !== null
          ? archivedExport({ ...p, archive: p.archive as PartitionArchive })
          : await exportBatchPartition({ day, plan: p }),
    })),
  );
  const exports = byEntity((e) => results.filter((r) => r.entity === e).map((r) => r.result));
  return { exports, dayComplete: plan.dayComplete };
}

/** Every exported record was read back, and each either cleaned or rejected: nothing lost or doubled. */
function checkCounts(exports: Record<Entity, PartitionExport[]>, cleaned: Record<Entity, CleanResult>): void {
  for (const entity of ENTITIES) {
    const exported = exports[entity].reduce((n, p) => n + p.records, 0);
    const c = cleaned[entity];
    if (c.in !== exported || c.out + c.rejected.total !== c.in) {
      throw ApplicationFailure.nonRetryable(
        `${entity}: ${exported} records exported, but the clean read ${c.in} (${c.out} cleaned + ${c.rejected.total} rejected)`,
        FAILURES.BatchCountMismatch,
      );
    }
  }
}

/** The queue of the day's units, beside the workflow's own (shared) queue. */
function unitsQueue(): string {
  return batchUnitsQueue(workflowInfo().taskQueue);
}

function exportOnUnitsQueue(): BatchActivities['exportBatchPartition'] {
  return proxyActivities<BatchActivities>({ ...LONG_OPTIONS, taskQueue: unitsQueue() }).exportBatchPartition;
}

/**
 * The day's units (each entity's Kafka partitions with records), downloaded and cleaned at once on
 * whichever workers take them: a day spreads over every worker, and a lost worker costs its units.
 */
async function cleanUnits(day: BatchDay, exports: Record<Entity, PartitionExport[]>) {
  const { cleanBatchUnit } = proxyActivities<BatchUnitActivities>({
    ...UNIT_OPTIONS,
    taskQueue: unitsQueue(),
  });
  const from = Date.now();
  const scope = new CancellationScope();
  const unitReports = await scope
    .run(() =>
      Promise.all(
        ENTITIES.flatMap((entity) =>
          exports[entity]
            .filter((p) => p.objects.length > 0)
            .map((p) =>
              cleanBatchUnit({ day, entity, partition: p.partition, keys: p.objects.map((o) => o.key) }),
            ),
        ),
      ),
    )
    .catch((err: unknown) => {
      // The other units stop too: the day has failed.
      scope.cancel();
      throw err;
    });
  const downloadMs = Math.max(0, ...unitReports.map((u) => u.downloadMs));
  const cleaned = byEntity((e) =>
    cleanedOfUnits(
      e,
      unitReports.filter((u) => u.entity === e),
    ),
  );
  const workers = [...new Set(unitReports.map((u) => u.worker))];
  return { cleaned, workers, downloadMs, cleanMs: Date.now() - from - downloadMs, unitReports };
}

/** An entity's day as the sum of its units: counts added, objects in partition order. */
function cleanedOfUnits(entity: Entity, units: UnitCleaned[]): CleanResult {
  const byReason: RejectCounts['byReason'] = {};
  for (const u of units) {
    for (const [reason, n] of Object.entries(u.rejected.byReason))
      byReason[reason] = (byReason[reason] ?? 0) + n;
  }
  const sum = (fn: (u: UnitCleaned) => number) => units.reduce((n, u) => n + fn(u), 0);
  return {
    entity,
    in: sum((u) => u.in),
    out: sum((u) => u.out),
    rejected: { total: sum((u) => u.rejected.total), byReason },
    objects: units.flatMap((u) => u.objects),
    rejectedObjects: units.flatMap((u) => u.rejectedObjects),
    latestObjects: units.flatMap((u) => u.latestObjects),
  };
}

function unitReport(u: UnitCleaned): UnitReport {
  return {
    entity: u.entity,
    partition: u.partition,
    worker: u.worker,
    in: u.in,
    downloadMs: u.downloadMs,
    cleanMs: u.cleanMs,
  };
}

/** The three entities staged at once (any workers), then the day replaced by them in one transaction. */
async function loadEntities(day: BatchDay, units: UnitCleaned[]): Promise<Record<Entity, EntityLoaded>> {
  const results = await Promise.all(
    ENTITIES.map((entity) =>
      loadBatchEntity({
        day,
        entity,
        units: units.filter((u) => u.entity === entity).map((u) => u.latestObjects.map((o) => o.key)),
      }),
    ),
  );
  const loaded = byEntity((e) => results[ENTITIES.indexOf(e)] as EntityLoaded);
  await publishBatchDay({ day, rows: byEntity((e) => loaded[e].rows) });
  return loaded;
}

/** Download and clean on one worker; when that worker is lost, all over again on another one. */
async function cleanOnOneWorker(day: BatchDay, rawKeys: Record<Entity, string[]>) {
  const workers: string[] = [];
  for (let attempt = 1; ; attempt++) {
    const taskQueue = await getBatchWorkerQueue();
    workers.push(taskQueue);
    const local = proxyActivities<BatchLocalActivities>({ ...LOCAL_OPTIONS, taskQueue });
    const scope = new CancellationScope();
    try {
      const result = await scope.run(() => downloadAndClean(local, day, rawKeys));
      await removeWorkDir(taskQueue);
      return { ...result, workers, unitReports: undefined };
    } catch (err) {
      scope.cancel();
      const lost = isWorkerLost(err);
      if (!lost) await removeWorkDir(taskQueue);
      if (!lost || attempt >= MAX_LOCAL_WORKERS) throw err;
      log.warn('lost the worker holding the day’s files; starting over on another', { taskQueue, attempt });
    }
  }
}

async function downloadAndClean(local: BatchLocalActivities, day: BatchDay, keys: Record<Entity, string[]>) {
  const from = Date.now();
  await Promise.all(ENTITIES.map((entity) => local.downloadBatchRaw({ day, entity, keys: keys[entity] })));
  const downloadMs = Date.now() - from;
  const results = await Promise.all(
    ENTITIES.map((entity) => local.cleanBatchRaw({ day, entity, keys: keys[entity] })),
  );
  const cleanMs = Date.now() - from - downloadMs;
  const cleaned = byEntity((e) => results.find((r) => r.entity === e) as CleanResult);
  return { cleaned, downloadMs, cleanMs };
}

/** Best effort, and not tried on a lost worker: its files stay on its disk. */
async function removeWorkDir(taskQueue: string): Promise<void> {
  const { removeBatchWorkDir } = proxyActivities<BatchLocalActivities>({
    taskQueue,
    scheduleToStartTimeout: '10 seconds',
    startToCloseTimeout: '1 minute',
    retry: { maximumAttempts: 3 },
  });
  await CancellationScope.nonCancellable(() => removeBatchWorkDir().catch(() => undefined));
}

/** The worker's queue went unpolled or its heartbeats stopped, or it lacks or mangled the files. */
function isWorkerLost(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  const cause = err.cause;
  if (cause instanceof TimeoutFailure) return true;
  return (
    cause instanceof ApplicationFailure &&
    (cause.type === FAILURES.BatchLocalFilesMissing || cause.type === FAILURES.BatchObjectCorrupt)
  );
}

interface ReportParts {
  day: BatchDay;
  dayComplete: boolean;
  started: number;
  exports: Record<Entity, PartitionExport[]>;
  cleaned: Record<Entity, CleanResult>;
  loaded: Record<Entity, EntityLoaded>;
  views: Record<string, number>;
  phasesMs: Record<BatchPhase, number>;
  workers: string[];
  units: UnitReport[] | undefined;
}

function buildReport(p: ReportParts): BatchDayReport {
  const entities = byEntity((e) => {
    const { entity: _entity, ...cleaned } = p.cleaned[e];
    const records = p.exports[e].reduce((n, x) => n + x.records, 0);
    return {
      exported: { records, partitions: p.exports[e] },
      cleaned,
      loadedRows: p.loaded[e].rows,
      loadRefused: p.loaded[e].refused,
    };
  });
  const sum = (fn: (e: Entity) => number) => ENTITIES.reduce((n, e) => n + fn(e), 0);
  const sources = new Set(ENTITIES.flatMap((e) => p.exports[e].map((x) => x.source)));
  const { workflowId, runId } = workflowInfo();
  return {
    day: p.day,
    workflowId,
    runId,
    dayComplete: p.dayComplete,
    source:
      sources.size === 1 && sources.has('archive')
        ? 'archive'
        : sources.has('archive') || sources.has('archive+kafka')
          ? 'mixed'
          : 'kafka',
    startedAt: new Date(p.started).toISOString(),
    finishedAt: new Date().toISOString(),
    entities,
    totals: {
      exported: sum((e) => entities[e].exported.records),
      cleaned: sum((e) => entities[e].cleaned.out),
      rejected: sum((e) => entities[e].cleaned.rejected.total),
      loadedRows: sum((e) => entities[e].loadedRows),
    },
    views: p.views,
    phasesMs: p.phasesMs,
    localWorkers: p.workers,
    ...(p.units && { units: p.units }),
  };
}
