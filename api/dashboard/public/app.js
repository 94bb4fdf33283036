// The dashboard's refresh loop: fetch every endpoint, update what answered, say what did not.
// The page runs in the browser: its globals are declared for ESLint, which assumes Node.
/* global window, document, console, URLSearchParams, setTimeout, clearTimeout */
import {
  renderAgeGroups,
  renderCategories,
  renderCountries,
  renderPostsPerMinute,
  renderTopPosters,
  renderUsersJoined,
} from './analytics.js';
import { describeFailures, fetchAll } from './api.js';
import { createCharts } from './charts.js';
import { setText } from './dom.js';
import { formatUtc } from './format.js';
import { renderStatus } from './pipeline.js';

// `?refresh=2` refreshes every 2 s (tests, a wall screen); 5 s otherwise.
const seconds = Number(new URLSearchParams(window.location.search).get('refresh'));
const REFRESH_MS = Number.isFinite(seconds) && seconds >= 0.5 ? seconds * 1000 : 5000;

const charts = createCharts();
/** @type {ReturnType<typeof setTimeout> | undefined} */
let timer;
let inFlight = false;

/** @param {Awaited<ReturnType<typeof fetchAll>>['data']} data */
function render(data) {
  // Each part on its own: a malformed answer breaks its panel, not the page.
  const parts = [
    () => data.status && renderStatus(data.status, charts),
    () => data.postsPerMinute && renderPostsPerMinute(data.postsPerMinute, charts),
    () => data.categories && renderCategories(data.categories, charts),
    () => data.postsPerCountry && renderCountries(data.postsPerCountry, charts),
    () => data.ageGroups && renderAgeGroups(data.ageGroups, charts),
    () => data.topPosters && renderTopPosters(data.topPosters),
    () => data.usersJoined && renderUsersJoined(data.usersJoined, data.joinYearMedians),
  ];
  const broken = [];
  for (const part of parts) {
    try {
      part();
    } catch (err) {
      console.warn('dashboard: a panel could not render', err);
      broken.push(err instanceof Error ? err.message : String(err));
    }
  }
  return broken;
}

/** @param {string[]} problems @param {boolean} outage every endpoint failed */
function showProblems(problems, outage) {
  const banner = /** @type {HTMLElement} */ (document.getElementById('error-banner'));
  const status = document.getElementById('refresh-state');
  if (problems.length === 0) {
    banner.hidden = true;
    status?.classList.remove('is-stale');
    return;
  }
  setText('error-title', outage ? 'The API is not answering.' : 'Part of the page could not be refreshed.');
  setText('error-detail', problems.join(' · '));
  banner.hidden = false;
  status?.classList.add('is-stale');
}

async function refresh() {
  if (inFlight) return;
  inFlight = true;
  clearTimeout(timer);
  try {
    const { data, failures } = await fetchAll();
    const broken = render(data);
    if (failures.length === 0 && broken.length === 0) {
      setText('last-updated', `Updated ${formatUtc(new Date(), true)}`);
    }
    showProblems(
      [...describeFailures(failures), ...broken.map((m) => `unexpected answer: ${m}`)],
      Object.keys(data).length === 0,
    );
  } finally {
    inFlight = false;
    timer = setTimeout(refresh, REFRESH_MS);
  }
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') void refresh();
});
setText('refresh-interval', `every ${REFRESH_MS / 1000} s`);
void refresh();
