// The page's Chart.js charts (the UMD build's global `Chart`). They are built once and their data is
// replaced in place on every refresh, so nothing is torn down and nothing flickers.
/* global Chart, document */

export const ENTITY_COLORS = { pin: '#e60023', geo: '#2563eb', user: '#d97706' };
const STREAM_PALETTE = ['#e60023', '#2563eb', '#d97706', '#059669', '#7c3aed', '#0891b2'];

Chart.defaults.font.family =
  'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
Chart.defaults.font.size = 12;
Chart.defaults.color = '#475569';
Chart.defaults.borderColor = '#e2e8f0';
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.animation.duration = 300;
Chart.defaults.plugins.legend.labels.boxWidth = 12;
Chart.defaults.plugins.legend.labels.boxHeight = 12;

/** @param {string} id @param {object} config */
function chart(id, config) {
  const canvas = /** @type {HTMLCanvasElement} */ (document.getElementById(id));
  return new Chart(canvas, config);
}

/** @param {string} text */
const axisTitle = (text) => ({ display: true, text, font: { size: 11 } });

/** Long Faker country names ("Antarctica (the territory South of 60 deg S)") would eat the plot. */
function shortLabel(/** @type {string} */ label) {
  return label.length > 24 ? `${label.slice(0, 23)}…` : label;
}

/**
 * A line chart over time.
 * @param {string} id @param {string} unit the y axis title, or '' when the panel says it
 * @param {{ stacked?: boolean, points?: number, legend?: boolean }} [opts]
 */
function lineOverTime(id, unit, { stacked = false, points = 0, legend = true } = {}) {
  return chart(id, {
    type: 'line',
    data: { labels: [], datasets: [] },
    options: {
      interaction: { mode: 'index', intersect: false },
      elements: { point: { radius: points, hoverRadius: 3 }, line: { borderWidth: 2, tension: 0.25 } },
      scales: {
        x: { ticks: { maxTicksLimit: 6, maxRotation: 0 }, grid: { display: false } },
        y: {
          beginAtZero: true,
          stacked,
          title: unit ? axisTitle(unit) : undefined,
          ticks: { maxTicksLimit: 4 },
        },
      },
      plugins: { legend: { display: legend, position: 'bottom' } },
    },
  });
}

export function createCharts() {
  const categories = chart('chart-categories', {
    type: 'bar',
    data: {
      labels: [],
      datasets: [{ label: 'Posts', data: [], backgroundColor: '#e60023', borderRadius: 3 }],
    },
    options: {
      plugins: { legend: { display: false } },
      scales: {
        x: { grid: { display: false }, ticks: { autoSkip: false, maxRotation: 45, minRotation: 45 } },
        y: { beginAtZero: true, title: axisTitle('posts') },
      },
    },
  });

  const countries = chart('chart-countries', {
    type: 'bar',
    data: {
      labels: [],
      datasets: [{ label: 'Posts', data: [], backgroundColor: '#2563eb', borderRadius: 3 }],
    },
    options: {
      indexAxis: 'y',
      plugins: { legend: { display: false } },
      scales: {
        x: { beginAtZero: true, title: axisTitle('posts') },
        y: {
          grid: { display: false },
          ticks: {
            autoSkip: false,
            callback(/** @type {number} */ value) {
              return shortLabel(String(this.getLabelForValue(value)));
            },
          },
        },
      },
    },
  });

  const ageGroups = chart('chart-age-groups', {
    type: 'bar',
    data: {
      labels: [],
      datasets: [
        { label: 'Posts', data: [], backgroundColor: '#7c3aed', borderRadius: 3, yAxisID: 'y', order: 2 },
        {
          type: 'line',
          label: 'Median followers',
          data: [],
          borderColor: '#d97706',
          backgroundColor: '#d97706',
          pointRadius: 4,
          yAxisID: 'y1',
          // Drawn over the bars.
          order: 1,
        },
      ],
    },
    options: {
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: { position: 'bottom', labels: { sort: (a, b) => a.datasetIndex - b.datasetIndex } },
      },
      scales: {
        x: { grid: { display: false } },
        y: { beginAtZero: true, title: axisTitle('posts') },
        y1: {
          beginAtZero: true,
          position: 'right',
          grid: { drawOnChartArea: false },
          title: axisTitle('median followers'),
          ticks: {
            callback: (/** @type {number} */ v) =>
              Intl.NumberFormat('en-US', { notation: 'compact' }).format(v),
          },
        },
      },
    },
  });

  return {
    categories,
    countries,
    ageGroups,
    postsPerMinute: lineOverTime('chart-posts-per-minute', 'events / min', { stacked: true }),
    lag: lineOverTime('chart-lag', '', { points: 2, legend: false }),
    freshness: lineOverTime('chart-freshness', '', { points: 2, legend: false }),
  };
}

/**
 * Replaces a chart's labels and data, keeping the dataset objects it already has (matched by label)
 * so that the chart only redraws, and toggles the panel's "no data yet" note.
 * @param {any} target a Chart instance
 * @param {string[]} labels
 * @param {{ label: string, data: (number | null)[], [style: string]: unknown }[]} datasets
 */
export function updateChart(target, labels, datasets) {
  const wasEmpty = target.data.labels.length === 0;
  target.data.labels = labels;
  const byLabel = new Map(target.data.datasets.map((d) => [d.label, d]));
  target.data.datasets = datasets.map((next) => {
    const current = byLabel.get(next.label);
    if (current === undefined) return { ...next };
    current.data = next.data;
    return current;
  });
  target.update(wasEmpty ? undefined : 'none');
  const empty = target.canvas.closest('.chart-box')?.querySelector('.empty');
  if (empty) empty.hidden = labels.length > 0;
}

/** Style of a line for one stream (or entity), stable across refreshes. @param {string} entity @param {number} i */
export function seriesStyle(entity, i, fill = false) {
  const color = ENTITY_COLORS[/** @type {keyof typeof ENTITY_COLORS} */ (entity)] ?? STREAM_PALETTE[i % 6];
  return {
    borderColor: color,
    backgroundColor: fill ? `${color}55` : color,
    fill: fill ? (i === 0 ? 'origin' : '-1') : false,
  };
}
