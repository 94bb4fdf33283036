// The real running system in a real Chromium: an isolated pipeline (fresh topics, schemas, task
// queue, Schedule, stream ids, S3 prefix and API port on the shared stack) with its worker, API and
// emulator as real processes (scripts/pipeline-processes.ts, as the demo runs them). The dashboard
// shows what the streams loaded; Temporal's own Web UI shows the Schedule and the streams, and its
// Trigger button runs a batch day to completion.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  ScheduleNotFoundError,
  WorkflowNotFoundError,
  type Client,
  type Connection,
} from '@temporalio/client';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { deleteKeys, listKeys } from '../../activities/batch/s3-objects.ts';
import { batchWorkflowId } from '../../domain/batch-keys.ts';
import { allTopics } from '../../domain/wire.ts';
import { createPool, type Pool } from '../../infra/db.ts';
import { createKafka } from '../../infra/kafka.ts';
import { createS3 } from '../../infra/s3.ts';
import { connectTemporal, workflowUrl } from '../../infra/temporal.ts';
import {
  emulatorSummary,
  ensureSourceSeeded,
  ProcessGroup,
  startStreams,
} from '../../scripts/pipeline-processes.ts';
import { cloneSchema } from '../support/batch-harness.ts';
import {
  collectConsoleErrors,
  launchBrowser,
  RESULTS_DIR,
  saveScreenshot,
  type Browser,
} from '../support/browser.ts';
import { freshName } from '../support/names.ts';
import { freePort } from '../support/net.ts';
import { waitFor } from '../support/wait.ts';
import type { batchDay } from '../../workflows/batch-day.ts';

/** Few enough posts for a quick run, enough that every chart has several bars. */
const POSTS = 60;
/** The processes' output, the last run's only: what to read when this test fails. */
const LOG_DIR = path.join(RESULTS_DIR, 'pipeline-ui-logs');

const name = freshName('ui');
const id = name.replace(/-/g, '_');
const schemas = { speed: `${id}_speed`, batch: `${id}_batch`, batchViews: `${id}_views` };
let workDir: string;
let group: ProcessGroup;
let streamIds: string[] = [];
let pool: Pool;
let temporal: { client: Client; connection: Connection };
let browser: Browser;

// The page's globals as these browser-side functions see them (the project compiles without DOM types).
interface PageGlobals {
  document: { getElementById(id: string): unknown };
  Chart: {
    getChart(canvas: unknown): { data: { labels: unknown[]; datasets: { data: unknown[] }[] } } | undefined;
  };
}

interface ChartData {
  labels: string[];
  series: number[][];
}

function readChart(page: Page, canvasId: string): Promise<ChartData | null> {
  return page.evaluate((canvasId) => {
    const g = globalThis as unknown as PageGlobals;
    const chart = g.Chart.getChart(g.document.getElementById(canvasId));
    if (!chart) return null;
    return {
      labels: chart.data.labels.map(String),
      series: chart.data.datasets.map((d) => d.data.map(Number)),
    };
  }, canvasId);
}

/** Pages of this pipeline in the Temporal Web UI (TEMPORAL_UI_URL, http://localhost:8233 on the stack). */
function scheduleUrl(): string {
  const { TEMPORAL_UI_URL, TEMPORAL_NAMESPACE, BATCH_SCHEDULE_ID } = group.config;
  return `${TEMPORAL_UI_URL}/namespaces/${TEMPORAL_NAMESPACE}/schedules/${encodeURIComponent(BATCH_SCHEDULE_ID)}`;
}
const uiWorkflowUrl = (workflowId: string, runId?: string) =>
  workflowUrl(group.config.TEMPORAL_UI_URL, group.config.TEMPORAL_NAMESPACE, workflowId, runId);
const sum = (values: number[] | undefined) => (values ?? []).reduce((n, v) => n + v, 0);

before(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'pinpipe-ui-'));
  await rm(LOG_DIR, { recursive: true, force: true });
  const port = await freePort();
  group = new ProcessGroup(
    {
      ...process.env,
      LOG_LEVEL: 'info',
      KAFKA_TOPIC_PREFIX: name,
      STREAM_SCHEMA: schemas.speed,
      BATCH_SCHEMA: schemas.batch,
      BATCH_VIEWS_SCHEMA: schemas.batchViews,
      PIPELINE_TASK_QUEUE: name,
      BATCH_SCHEDULE_ID: `${name}-daily`,
      BATCH_ID_PREFIX: `${name}-`,
      BATCH_S3_PREFIX: `${name}/`,
      BATCH_WORK_DIR: workDir,
      STREAM_ID_PREFIX: `${name}-`,
      API_PORT: String(port),
      API_BASE_URL: `http://127.0.0.1:${port}`,
    },
    { to: 'files', dir: LOG_DIR },
  );
  const { config } = group;
  pool = createPool(config);
  temporal = await connectTemporal(config);
  // The real setup for this environment (its topics), then its schemas shaped like the migrated ones.
  await group.run('setup', 'scripts/setup.ts');
  await cloneSchema(pool, 'speed', schemas.speed);
  await cloneSchema(pool, 'batch', schemas.batch);
  await cloneSchema(pool, 'batch_views', schemas.batchViews);
  await ensureSourceSeeded(group);

  await group.startWorker();
  await group.startApi();
  streamIds = await startStreams(config);
  const args = ['--count', String(POSTS), '--rate', '60', '--concurrency', '2', '--json'];
  const emulator = await group.run('emulator', 'emulator/main.ts', args);
  const summary = emulatorSummary(emulator);
  assert.equal(summary?.accepted, POSTS * 3, `the emulator's summary: ${JSON.stringify(summary)}`);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await group?.stopAll();
  if (temporal) {
    for (const wid of streamIds) {
      await temporal.client.workflow
        .getHandle(wid)
        .terminate('test cleanup')
        .catch((err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        });
    }
    await temporal.client.schedule
      .getHandle(group.config.BATCH_SCHEDULE_ID)
      .delete()
      .catch((err: unknown) => {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      });
    await temporal.connection.close();
  }
  if (pool) {
    for (const schema of Object.values(schemas)) {
      await pool.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    }
    await pool.end();
  }
  if (group) await dropTopicsAndObjects();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function dropTopicsAndObjects(): Promise<void> {
  const { config } = group;
  const admin = createKafka(config).admin();
  const s3 = createS3(config);
  try {
    await admin.connect();
    await admin.deleteTopics({ topics: allTopics(config.KAFKA_TOPIC_PREFIX) });
    const bucket = { s3, name: config.S3_BUCKET };
    await deleteKeys(bucket, await listKeys(bucket, config.BATCH_S3_PREFIX));
  } finally {
    await admin.disconnect();
    s3.destroy();
  }
}

/** Once the streams have caught up, the speed tables hold every distinct post the emulator sent. */
async function speedPosts(): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${pg.escapeIdentifier(schemas.speed)}.pin`,
  );
  return rows[0]?.n ?? 0;
}

test('the dashboard shows the data the streams loaded, without console errors', async () => {
  const apiUrl = `http://127.0.0.1:${group.config.API_PORT}`;
  const caughtUp = await waitFor(
    'the streams to load every record',
    async () => {
      const res = await fetch(`${apiUrl}/v1/pipeline/status`);
      if (!res.ok) return undefined;
      const status = (await res.json()) as { streams: { lag: number; read: number }[] };
      const done =
        status.streams.length === 3 && status.streams.every((s) => s.lag === 0 && s.read === POSTS);
      return done ? status : undefined;
    },
    60_000,
  );
  assert.equal(caughtUp.streams.length, 3);
  const posts = await speedPosts();
  assert.ok(posts > 0 && posts <= POSTS, `${posts} distinct posts`);

  const page = await browser.context.newPage();
  const errors = collectConsoleErrors(page);
  try {
    await page.goto(`${apiUrl}/?refresh=1`);
    const charts = await waitFor('the charts to show the posts', async () => {
      const [perMinute, categories, countries] = await Promise.all(
        ['chart-posts-per-minute', 'chart-categories', 'chart-countries'].map((c) => readChart(page, c)),
      );
      const ready = sum(categories?.series[0]) === posts && sum(perMinute?.series[0]) === posts;
      return ready && countries ? { perMinute, categories, countries } : undefined;
    });
    // Each post is one pin, one geolocation, one user: the per-minute series agree.
    assert.deepEqual(charts.perMinute?.series.map(sum), [posts, posts, posts]);
    assert.ok((charts.categories?.labels.length ?? 0) > 1, 'several categories');
    assert.ok((charts.countries?.labels.length ?? 0) > 1, 'several countries');
    assert.ok(sum(charts.countries?.series[0]) > 0);
    // Its links lead to this pipeline's own Schedule and streams in the Temporal UI.
    const scheduleLink = page.locator('#schedule-link');
    await scheduleLink.waitFor();
    assert.equal(await scheduleLink.getAttribute('href'), scheduleUrl());
    const streamLinks = await page
      .locator('.stream-card a.ext')
      .evaluateAll((links) => links.map((a) => (a as unknown as { href: string }).href));
    assert.deepEqual(
      streamLinks,
      streamIds.map((wid) => uiWorkflowUrl(wid)),
    );
    assert.equal(await page.locator('#error-banner').isVisible(), false);
    await saveScreenshot(page, 'pipeline-dashboard.png');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test("Temporal's Web UI shows the Schedule and the running streams", async () => {
  const page = await browser.context.newPage();
  try {
    const scheduleId = group.config.BATCH_SCHEDULE_ID;
    await page.goto(scheduleUrl());
    await page.getByRole('heading', { name: scheduleId }).waitFor();
    await page.getByText('batchDay', { exact: true }).first().waitFor();
    await page.getByText('Upcoming Runs').waitFor();
    await saveScreenshot(page, 'pipeline-schedule.png', false);

    for (const wid of streamIds) {
      await page.goto(uiWorkflowUrl(wid));
      await page.getByRole('heading', { name: wid }).first().waitFor();
      await page.getByText('Running', { exact: true }).first().waitFor();
      if (wid === streamIds[0]) await saveScreenshot(page, 'pipeline-stream-workflow.png', false);
    }
  } finally {
    await page.close();
  }
});

test("the Schedule page's Trigger button runs a batch day to completion", async () => {
  const { client } = temporal;
  const scheduleId = group.config.BATCH_SCHEDULE_ID;
  const schedule = client.schedule.getHandle(scheduleId);
  assert.equal((await schedule.describe()).info.recentActions.length, 0);

  const page = await browser.context.newPage();
  try {
    await page.goto(scheduleUrl());
    await page.getByRole('button', { name: 'Schedule Actions' }).click();
    await page.getByRole('menuitem', { name: 'Trigger' }).click();
    await page.getByRole('button', { name: 'Trigger', exact: true }).click();

    const started = await waitFor(
      'the Schedule to start a run',
      async () => (await schedule.describe()).info.recentActions[0]?.action.workflow,
      30_000,
    );
    assert.ok(started.workflowId.startsWith(`${scheduleId}-`), started.workflowId);
    const handle = client.workflow.getHandle<typeof batchDay>(
      started.workflowId,
      started.firstExecutionRunId,
    );
    const report = await handle.result();
    assert.equal((await handle.describe()).status.name, 'COMPLETED');

    // The triggered run worked on the day under the day's own workflow id (one run per day).
    assert.equal(report.workflowId, batchWorkflowId(report.day, group.config.BATCH_ID_PREFIX));
    const { rows } = await pool.query<{ dt: string; status: string; workflow_id: string; run_id: string }>(
      `SELECT to_char(dt, 'YYYY-MM-DD') AS dt, status, workflow_id, run_id FROM ${pg.escapeIdentifier(schemas.batch)}.days
       WHERE dt = $1`,
      [report.day],
    );
    assert.deepEqual(rows, [
      { dt: report.day, status: 'succeeded', workflow_id: report.workflowId, run_id: report.runId },
    ]);

    await page.goto(uiWorkflowUrl(started.workflowId, started.firstExecutionRunId));
    await page.getByText('Completed', { exact: true }).first().waitFor();
    await saveScreenshot(page, 'pipeline-batch-workflow.png', false);
  } finally {
    await page.close();
  }
});

test('the worker and the API drain and exit 0 on SIGTERM', async () => {
  const stopped = await group.stopAll();
  assert.deepEqual(
    stopped.map((r) => [r.name, r.status.code, r.killed]),
    [
      ['api', 0, false],
      ['worker', 0, false],
    ],
  );
});
