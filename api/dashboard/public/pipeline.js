// The on-call view: ingest rate, each stream's state, lag and freshness, the schedule, the batch days.
/* global document */
import { seriesStyle, updateChart } from './charts.js';
import { badge, el, fillTable, setLink, setText, temporalLink } from './dom.js';
import { formatClock, formatCompact, formatDuration, formatInt, formatRate, formatUtc } from './format.js';

/** @typedef {import('../../serving/contract.ts').PipelineStatus} PipelineStatus */
/** @typedef {PipelineStatus['streams'][number]} Stream */

// Five minutes of history at the default 5 s refresh.
const HISTORY_POINTS = 60;
/** @type {{ at: string, streams: Map<string, Stream> }[]} */
const history = [];

/** @param {PipelineStatus} status @param {ReturnType<typeof import('./charts.js').createCharts>} charts */
export function renderStatus(status, charts) {
  setLink(/** @type {HTMLAnchorElement} */ (document.getElementById('temporal-link')), status.temporalUiUrl);
  setText('ingest-rate', formatRate(status.ingest.ratePerSecond));
  setText('ingest-total', `${formatInt(status.ingest.recordsProduced)} records produced`);
  renderStreams(status.streams);
  renderSchedule(status);
  renderBatchDays(status.batchDays);
  recordHistory(status);
  renderHistory(charts);
}

/** @param {HTMLElement} root @param {string} name */
const field = (root, name) => /** @type {HTMLElement} */ (root.querySelector(`[data-field="${name}"]`));

/** @param {HTMLElement} node @param {string} state */
function setBadge(node, state) {
  if (node.textContent !== state) node.replaceChildren(badge(state));
}

/** One card per stream, cloned from the page's template once, then updated field by field. @param {Stream[]} streams */
function renderStreams(streams) {
  const box = /** @type {HTMLElement} */ (document.getElementById('stream-cards'));
  const template = /** @type {HTMLTemplateElement} */ (document.getElementById('stream-card-template'));
  /** @type {Map<string, HTMLElement>} */
  const existing = new Map(
    [...box.querySelectorAll('[data-stream]')].map((c) => [c.getAttribute('data-stream'), c]),
  );
  const cards = streams.map((s) => {
    const card =
      existing.get(s.stream) ??
      /** @type {HTMLElement} */ (
        /** @type {DocumentFragment} */ (template.content.cloneNode(true)).firstElementChild
      );
    card.dataset.stream = s.stream;
    // A stream of several shards shows one card per shard: "Pin stream, shard 2 of 3".
    const shard = s.shard && s.shard.count > 1 ? `, shard ${s.shard.index + 1} of ${s.shard.count}` : '';
    field(card, 'title').textContent =
      `${s.entity.charAt(0).toUpperCase()}${s.entity.slice(1)} stream${shard}`;
    card.title = s.stream;
    setBadge(field(card, 'state'), s.state);
    field(card, 'lag').textContent = formatInt(s.lag);
    field(card, 'lag').title = s.lagError ? `lag unknown now: ${s.lagError}` : '';
    const problem = field(card, 'problem');
    const text = streamProblem(s);
    if (problem.textContent !== text) problem.textContent = text;
    problem.hidden = text === '';
    field(card, 'freshness').textContent = formatDuration(s.freshnessMs);
    field(card, 'read').textContent = formatCompact(s.read);
    field(card, 'dead').textContent = formatInt(s.deadLettered);
    field(card, 'dead').classList.toggle('alert-text', s.deadLettered > 0);
    field(card, 'batch').textContent = formatDuration(s.lastBatchMs);
    const link = /** @type {HTMLAnchorElement} */ (field(card, 'link'));
    setLink(link, s.url);
    link.setAttribute('aria-label', `Workflow ${s.stream} in the Temporal UI (opens a new tab)`);
    return card;
  });
  document.getElementById('streams-empty').hidden = streams.length > 0;
  const same = cards.length === box.children.length && cards.every((c, i) => box.children[i] === c);
  if (!same) box.replaceChildren(...cards);
}

/**
 * What is wrong with a stream, in one line: its failing micro-batch (attempts, since when, the last
 * failure), or the signals waiting for a worker. Empty when nothing is. @param {Stream} s
 */
function streamProblem(s) {
  if (s.retrying) {
    const { attempts, since, lastFailure } = s.retrying;
    return `${attempts} failed attempt${attempts === 1 ? '' : 's'} since ${formatClock(new Date(since).toISOString())} UTC: ${lastFailure.type}: ${lastFailure.message}`;
  }
  if (s.pendingSignals?.length) return `Waiting for a worker to take: ${s.pendingSignals.join(', ')}`;
  if (s.error) return s.error;
  return '';
}

/** The schedule, and how the last batch day it ran went. @param {PipelineStatus} status */
function renderSchedule({ schedule, batchDays }) {
  setBadge(
    /** @type {HTMLElement} */ (document.getElementById('schedule-state')),
    schedule === null ? 'not created' : schedule.paused ? 'paused' : 'active',
  );
  const next = schedule === null || schedule.paused ? undefined : schedule.nextRuns[0];
  setText('schedule-next', next === undefined ? '—' : formatUtc(next).slice(5));
  setText(
    'schedule-in',
    next === undefined ? '—' : formatDuration(Math.max(0, Date.parse(next) - Date.now())),
  );
  const last = newestFirst(batchDays)[0];
  setText('schedule-last-day', last?.dt ?? '—');
  const lastStatus = /** @type {HTMLElement} */ (document.getElementById('schedule-last-status'));
  if (last === undefined) lastStatus.textContent = '—';
  else setBadge(lastStatus, last.status);
  setLink(/** @type {HTMLAnchorElement} */ (document.getElementById('schedule-link')), schedule?.url);
}

/** @param {PipelineStatus['batchDays']} days */
const newestFirst = (days) => [...days].sort((a, b) => b.dt.localeCompare(a.dt));

/** @param {PipelineStatus['batchDays']} days */
function renderBatchDays(days) {
  fillTable(
    'batch-days-body',
    newestFirst(days).map((d) => ({
      className: d.status === 'failed' ? 'row-failed' : undefined,
      cells: [
        d.dt,
        statusCell(d),
        formatInt(d.recordsExported),
        formatInt(d.recordsCleaned),
        formatInt(d.recordsRejected),
        d.finishedAt === null ? '—' : formatUtc(d.finishedAt),
        temporalLink(d.url, 'Run ↗', `Batch run of ${d.dt}`),
      ],
    })),
    'No batch day has run yet',
  );
}

/**
 * The day's status; a succeeded day whose latest re-run failed keeps its rows, and says so.
 * @param {PipelineStatus['batchDays'][number]} d
 */
function statusCell(d) {
  const b = badge(d.status);
  if (d.lastFailure === null || d.status === 'failed') {
    if (d.lastFailure) b.title = d.lastFailure;
    return b;
  }
  const note = el('span', { className: 'alert-text', title: d.lastFailure }, [' re-run failed']);
  return el('span', {}, [b, note]);
}

/** @param {PipelineStatus} status */
function recordHistory(status) {
  if (history.at(-1)?.at === status.generatedAt) return;
  history.push({ at: status.generatedAt, streams: new Map(status.streams.map((s) => [s.stream, s])) });
  if (history.length > HISTORY_POINTS) history.shift();
}

/** Lag and freshness of each stream over the last refreshes (the status endpoint has no history). */
function renderHistory(charts) {
  const names = [...new Set(history.flatMap((h) => [...h.streams.keys()]))];
  const labels = names.length === 0 ? [] : history.map((h) => formatClock(h.at, true));
  /** @param {(s: Stream) => number | null} pick */
  const series = (pick) =>
    names.map((name, i) => ({
      label: name,
      data: history.map((h) => {
        const s = h.streams.get(name);
        return s === undefined ? null : pick(s);
      }),
      ...seriesStyle(history.findLast((h) => h.streams.has(name))?.streams.get(name)?.entity ?? name, i),
    }));
  const lag = series((s) => s.lag);
  updateChart(charts.lag, labels, lag);
  renderLegend(lag);
  updateChart(
    charts.freshness,
    labels,
    series((s) => (s.freshnessMs === null ? null : s.freshnessMs / 1000)),
  );
}

/** One legend for both small charts, in the panel's head. @param {{ label: string, borderColor: string }[]} series */
function renderLegend(series) {
  const list = /** @type {HTMLElement} */ (document.getElementById('stream-legend'));
  if (list.textContent === series.map((s) => s.label).join('')) return;
  list.replaceChildren(
    ...series.map((s) => {
      const item = el('li', {}, [s.label]);
      item.style.setProperty('--swatch', s.borderColor);
      return item;
    }),
  );
}
