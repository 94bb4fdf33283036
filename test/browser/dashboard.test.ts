// The dashboard in a real Chromium, against a stand-in for the serving endpoints that answers the
// contract's shapes with data the test sets: rendering, self-refresh, the error banner, empty states.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { collectConsoleErrors, launchBrowser, saveScreenshot, type Browser } from '../support/browser.ts';
import {
  CATEGORIES,
  createDashboardFixture,
  emptyData,
  realisticData,
  type DashboardFixture,
} from '../support/dashboard-fixture-server.ts';
import { request, serve, type Served } from '../support/http.ts';
import { waitFor } from '../support/wait.ts';

const CANVASES = [
  'chart-posts-per-minute',
  'chart-lag',
  'chart-freshness',
  'chart-categories',
  'chart-countries',
  'chart-age-groups',
];
const CAPTION =
  /^batch through \d{4}-\d{2}-\d{2} \([\d,]+ posts\) \+ speed since \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC \([\d,]+ posts\)$/;

// The page's globals as these browser-side functions see them (the project compiles without DOM types).
interface PageGlobals {
  document: { querySelectorAll(selector: string): ArrayLike<{ id: string }> };
  Chart: {
    getChart(
      canvas: unknown,
    ):
      { id: string; data: { labels: unknown[]; datasets: { label: string; data: unknown[] }[] } } | undefined;
  };
  dashboardMarker?: string;
}

interface ChartState {
  id: string;
  chartId: string | null;
  labels: string[];
  series: { label: string; data: unknown[] }[];
}

function readCharts(page: Page): Promise<ChartState[]> {
  return page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    return Array.from(g.document.querySelectorAll('canvas'), (canvas) => {
      const chart = g.Chart.getChart(canvas);
      return {
        id: canvas.id,
        chartId: chart === undefined ? null : String(chart.id),
        labels: (chart?.data.labels ?? []).map(String),
        series: (chart?.data.datasets ?? []).map((d) => ({ label: d.label, data: [...d.data] })),
      };
    });
  });
}

const chartById = (charts: ChartState[], id: string): ChartState => {
  const chart = charts.find((c) => c.id === id);
  assert.ok(chart, `no canvas #${id}`);
  return chart;
};

let fixture: DashboardFixture;
let served: Served;
let browser: Browser;
const now = new Date();

async function openDashboard(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.context.newPage();
  const errors = collectConsoleErrors(page);
  await page.goto(`${served.url}/dashboard/?refresh=1`);
  return { page, errors };
}

before(async () => {
  fixture = createDashboardFixture(realisticData(now));
  served = await serve(fixture.app);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await served?.close();
});

test('the router serves the page under its mount path, with its assets and Chart.js from node_modules', async () => {
  const bare = await fetch(`${served.url}/dashboard?refresh=2`, { redirect: 'manual' });
  assert.equal(bare.status, 301);
  assert.equal(bare.headers.get('location'), '/dashboard/?refresh=2');

  const page = await request(`${served.url}/dashboard/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  for (const [path, type] of [
    ['assets/app.js', /javascript/],
    ['assets/styles.css', /text\/css/],
    ['assets/vendor/chart.umd.min.js', /javascript/],
  ] as const) {
    const asset = await request(`${served.url}/dashboard/${path}`);
    assert.equal(asset.status, 200, path);
    assert.match(asset.headers.get('content-type') ?? '', type, path);
  }
});

test('every chart and table shows the served data, with its sources, and the console stays clean', async () => {
  fixture.data = realisticData(now);
  const { page, errors } = await openDashboard();
  try {
    const charts = await waitFor('every chart to have data', async () => {
      const all = await readCharts(page);
      const ready = CANVASES.every((id) => (all.find((c) => c.id === id)?.series[0]?.data.length ?? 0) > 0);
      return ready ? all : undefined;
    });
    assert.deepEqual(charts.map((c) => c.id).sort(), [...CANVASES].sort());
    assert.deepEqual([...chartById(charts, 'chart-categories').labels].sort(), [...CATEGORIES].sort());
    assert.equal(chartById(charts, 'chart-countries').labels.length, 15);
    assert.deepEqual(chartById(charts, 'chart-age-groups').labels, ['18-24', '25-35', '36-50', '+50']);
    assert.deepEqual(
      chartById(charts, 'chart-posts-per-minute').series.map((s) => [s.label, s.data.length]),
      [
        ['pin', 60],
        ['geo', 60],
        ['user', 60],
      ],
    );
    assert.deepEqual(
      chartById(charts, 'chart-lag').series.map((s) => s.label),
      ['stream-pin', 'stream-geo', 'stream-user'],
    );

    assert.equal(await page.locator('#users-joined-body tr').count(), 3);
    assert.equal(await page.locator('#batch-days-body tr').count(), 7);
    assert.equal(await page.locator('#top-posters-body tr').count(), 20);
    const top = fixture.data.topPosters.topCountry;
    assert.ok(top);
    // The countries whose top poster has the most followers come first: the top country leads.
    const highlighted = page.locator('#top-posters-body tr.row-top');
    assert.equal(await highlighted.count(), 1);
    assert.equal(await page.locator('#top-posters-body tr').first().getAttribute('class'), 'row-top');
    assert.match((await highlighted.textContent()) ?? '', new RegExp(`^${top.country} top`));
    assert.match(
      (await page.locator('#top-country').textContent()) ?? '',
      new RegExp(`^Top country: ${top.country} `),
    );

    assert.match(
      (await page.locator('#sources-posts-per-minute').textContent()) ?? '',
      /^speed layer, by event time, since \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/,
    );
    for (const id of ['categories', 'countries', 'age-groups', 'top-posters', 'users-joined']) {
      assert.match((await page.locator(`#sources-${id}`).textContent()) ?? '', CAPTION, id);
    }
    assert.equal(await page.locator('.stream-card').count(), 3);
    assert.equal(
      await page.locator('.stream-card a.ext').first().getAttribute('href'),
      'http://localhost:8233/namespaces/default/workflows/stream-pin',
    );
    assert.equal(
      await page.locator('#schedule-link').getAttribute('href'),
      'http://localhost:8233/namespaces/default/schedules/batch-daily',
    );
    assert.equal(await page.locator('#batch-days-body a').count(), 7);
    assert.match((await page.locator('#last-updated').textContent()) ?? '', /^Updated \d{4}-\d{2}-\d{2} /);
    assert.equal(await page.locator('#error-banner').isVisible(), false);

    // A few lag samples, so that the screenshot shows lines rather than dots.
    await waitFor('three lag samples', async () =>
      chartById(await readCharts(page), 'chart-lag').labels.length >= 3 ? true : undefined,
    );
    await saveScreenshot(page, 'dashboard.png');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('it refreshes itself in place: new served data shows up without a reload', async () => {
  fixture.data = realisticData(now);
  const { page, errors } = await openDashboard();
  try {
    const ingest = page.locator('#ingest-total');
    await waitFor('the first render', async () => ((await ingest.textContent()) ? true : undefined));
    const before = await readCharts(page);
    await page.evaluate(() => {
      (globalThis as unknown as PageGlobals).dashboardMarker = 'same page';
    });

    fixture.data = realisticData(now, 7);
    const expected = fixture.data.categories.rows.map((r) => r.category_count);
    const after = await waitFor('the new categories', async () => {
      const charts = await readCharts(page);
      const data = chartById(charts, 'chart-categories').series[0]?.data;
      return JSON.stringify(data) === JSON.stringify(expected) ? charts : undefined;
    });
    assert.equal(await ingest.textContent(), '1,208,511 records produced');
    for (const id of CANVASES) {
      assert.equal(chartById(after, id).chartId, chartById(before, id).chartId, `${id} was rebuilt`);
    }
    const marker = await page.evaluate(() => (globalThis as unknown as PageGlobals).dashboardMarker);
    assert.equal(marker, 'same page');
    // Lag accumulates one point per status sample.
    await waitFor('a second lag sample', async () => {
      const lag = chartById(await readCharts(page), 'chart-lag');
      return lag.labels.length >= 2 ? true : undefined;
    });
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('an error banner appears while the API fails and goes away when it answers again', async () => {
  fixture.data = realisticData(now);
  const { page, errors } = await openDashboard();
  try {
    const banner = page.locator('#error-banner');
    const detail = page.locator('#error-detail');
    await page.locator('.stream-card').first().waitFor();
    assert.equal(await banner.isVisible(), false);

    fixture.failing = /^\/v1\//;
    await banner.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match((await banner.textContent()) ?? '', /not answering/);
    assert.equal(await detail.textContent(), 'every endpoint: HTTP 503');
    assert.equal(await page.locator('#refresh-state.is-stale').count(), 1);
    // The last data stays on screen.
    assert.ok((chartById(await readCharts(page), 'chart-categories').series[0]?.data.length ?? 0) > 0);
    await saveScreenshot(page, 'dashboard-error.png', false);

    // One endpoint down: the banner names it, the other panels go on refreshing.
    fixture.failing = /^\/v1\/analytics\/top-posters/;
    await waitFor('the banner to name the failing endpoint', async () =>
      (await detail.textContent()) === 'HTTP 503: /v1/analytics/top-posters' ? true : undefined,
    );
    assert.equal(
      await page.locator('#error-title').textContent(),
      'Part of the page could not be refreshed.',
    );

    fixture.failing = null;
    await banner.waitFor({ state: 'hidden', timeout: 10_000 });
    assert.equal(await page.locator('#refresh-state.is-stale').count(), 0);
    // Chromium itself reports each failed request; nothing else may appear.
    assert.deepEqual(
      errors.filter((e) => !/Failed to load resource: the server responded with a status of 503/.test(e)),
      [],
    );
  } finally {
    fixture.failing = null;
    await page.close();
  }
});

test('before any data exists, every chart and table says so instead of breaking', async () => {
  fixture.data = emptyData(now);
  const { page, errors } = await openDashboard();
  try {
    await waitFor('the first render', async () =>
      (await page.locator('#last-updated').textContent())?.startsWith('Updated') ? true : undefined,
    );
    const notes = page.locator('.chart-box .empty');
    assert.equal(await notes.count(), CANVASES.length);
    for (let i = 0; i < CANVASES.length; i++) {
      assert.equal(await notes.nth(i).isVisible(), true);
      assert.equal(await notes.nth(i).textContent(), 'No data yet');
    }
    for (const body of ['#users-joined-body', '#top-posters-body', '#batch-days-body']) {
      assert.equal(await page.locator(`${body} td.empty-row`).count(), 1, body);
    }
    assert.equal(await page.locator('#streams-empty').isVisible(), true);
    assert.equal(
      await page.locator('#sources-categories').textContent(),
      'no batch day yet + no speed layer data',
    );
    await saveScreenshot(page, 'dashboard-empty.png', false);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('a stream whose micro-batches fail is red, with its attempts and last failure; a waiting stop is shown', async () => {
  const data = realisticData(now);
  const [pin, geo] = data.status.streams;
  assert.ok(pin && geo);
  data.status.streams[0] = {
    ...pin,
    state: 'retrying',
    retrying: {
      attempts: 7,
      since: now.getTime() - 90_000,
      lastFailure: {
        type: 'PostgresUnavailable',
        message: 'connect ECONNREFUSED 127.0.0.1:5432',
        at: now.getTime(),
      },
      nextAttemptAt: now.getTime() + 8_000,
    },
  };
  data.status.streams[1] = { ...geo, state: 'not answering', pendingSignals: ['stop'] };
  fixture.data = data;
  const { page, errors } = await openDashboard();
  try {
    const card = page.locator('.stream-card').first();
    await card.locator('.badge-bad').waitFor();
    assert.equal(await card.locator('.badge-bad').textContent(), 'retrying');
    assert.match(
      (await card.locator('.stream-problem').textContent()) ?? '',
      /^7 failed attempts since \d{2}:\d{2} UTC: PostgresUnavailable: connect ECONNREFUSED/,
    );
    const second = page.locator('.stream-card').nth(1);
    assert.equal(await second.locator('.stream-problem').textContent(), 'Waiting for a worker to take: stop');
    // A day whose re-run failed keeps its status and rows, and says so.
    const rerun = page.locator('#batch-days-body .alert-text');
    assert.equal(await rerun.count(), 1);
    assert.equal(await rerun.textContent(), ' re-run failed');
    assert.match((await rerun.getAttribute('title')) ?? '', /cannot be rebuilt/);
    await saveScreenshot(page, 'dashboard-retrying.png', false);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});
