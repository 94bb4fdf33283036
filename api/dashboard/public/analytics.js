// The analyst's view: the batch views merged with the speed layer, each with its sources caption.
import { ENTITY_COLORS, seriesStyle, updateChart } from './charts.js';
import { el, fillTable, setText } from './dom.js';
import { formatClock, formatCompact, formatInt, formatUtc, sourcesCaption } from './format.js';

/** @typedef {import('../../serving/contract.ts').CategoriesAnswer} CategoriesAnswer */
/** @typedef {import('../../serving/contract.ts').PostsPerCountryAnswer} PostsPerCountryAnswer */
/** @typedef {import('../../serving/contract.ts').AgeGroupsAnswer} AgeGroupsAnswer */
/** @typedef {import('../../serving/contract.ts').TopPostersAnswer} TopPostersAnswer */
/** @typedef {import('../../serving/contract.ts').UsersJoinedAnswer} UsersJoinedAnswer */
/** @typedef {import('../../serving/contract.ts').FollowerMediansAnswer} FollowerMediansAnswer */
/** @typedef {import('../../serving/contract.ts').PostsPerMinuteAnswer} PostsPerMinuteAnswer */
/** @typedef {ReturnType<typeof import('./charts.js').createCharts>} Charts */

const AGE_GROUP_ORDER = ['18-24', '25-35', '36-50', '+50'];
const TOP_POSTERS_SHOWN = 20;

/** @param {string} id @param {{ sources: import('../../serving/contract.ts').Sources }} answer */
function caption(id, answer) {
  setText(`sources-${id}`, sourcesCaption(answer.sources));
}

/** @param {CategoriesAnswer} answer @param {Charts} charts */
export function renderCategories(answer, charts) {
  const rows = [...answer.rows].sort((a, b) => b.category_count - a.category_count);
  updateChart(
    charts.categories,
    rows.map((r) => r.category),
    [{ label: 'Posts', data: rows.map((r) => r.category_count) }],
  );
  caption('categories', answer);
}

/** @param {PostsPerCountryAnswer} answer @param {Charts} charts */
export function renderCountries(answer, charts) {
  const rows = answer.rows.slice(0, 15);
  updateChart(
    charts.countries,
    rows.map((r) => r.country),
    [{ label: 'Posts', data: rows.map((r) => r.posts) }],
  );
  caption('countries', answer);
}

/** @param {AgeGroupsAnswer} answer @param {Charts} charts */
export function renderAgeGroups(answer, charts) {
  const rank = (/** @type {string} */ g) => AGE_GROUP_ORDER.indexOf(g) + 1 || 99;
  const rows = [...answer.rows].sort((a, b) => rank(a.age_group) - rank(b.age_group));
  updateChart(
    charts.ageGroups,
    rows.map((r) => r.age_group),
    [
      { label: 'Posts', data: rows.map((r) => r.posts) },
      { label: 'Median followers', data: rows.map((r) => r.median_follower_count) },
    ],
  );
  caption('age-groups', answer);
}

/** @param {PostsPerMinuteAnswer} answer @param {Charts} charts */
export function renderPostsPerMinute(answer, charts) {
  const entities = /** @type {(keyof typeof ENTITY_COLORS)[]} */ (Object.keys(ENTITY_COLORS));
  updateChart(
    charts.postsPerMinute,
    answer.rows.map((r) => formatClock(r.minute)),
    entities.map((entity, i) => ({
      label: entity,
      data: answer.rows.map((r) => r[entity]),
      ...seriesStyle(entity, i, true),
    })),
  );
  const total = answer.rows.reduce((sum, r) => sum + r.pin, 0);
  setText('posts-last-hour', `${formatInt(total)} pins in the last hour`);
  // Only the speed layer holds events by the minute: say so rather than a batch/speed split.
  const since = answer.sources.speed.since;
  setText(
    'sources-posts-per-minute',
    since === null ? 'speed layer: no events yet' : `speed layer, by event time, since ${formatUtc(since)}`,
  );
}

/** The countries whose top posters have the most followers first: the top country leads. @param {TopPostersAnswer} answer */
export function renderTopPosters(answer) {
  const top = answer.topCountry;
  setText(
    'top-country',
    top === null ? '' : `Top country: ${top.country} (${formatCompact(top.follower_count)} followers)`,
  );
  const rows = [...answer.byCountry].sort(
    (a, b) => b.follower_count - a.follower_count || a.country.localeCompare(b.country),
  );
  fillTable(
    'top-posters-body',
    rows.slice(0, TOP_POSTERS_SHOWN).map((r) => {
      const isTop = top !== null && r.country === top.country;
      return {
        className: isTop ? 'row-top' : undefined,
        cells: [
          isTop
            ? el('span', {}, [r.country, ' ', el('span', { className: 'badge badge-top' }, ['top'])])
            : r.country,
          r.poster_name,
          formatInt(r.follower_count),
        ],
      };
    }),
  );
  setText(
    'top-posters-more',
    rows.length > TOP_POSTERS_SHOWN ? `· first ${TOP_POSTERS_SHOWN} of ${rows.length} countries` : '',
  );
  caption('top-posters', answer);
}

/** @param {UsersJoinedAnswer} joined @param {FollowerMediansAnswer | undefined} medians */
export function renderUsersJoined(joined, medians) {
  const medianByYear = new Map((medians?.rows ?? []).map((r) => [r.post_year, r.median_follower_count]));
  const rows = [...joined.rows].sort((a, b) => a.post_year - b.post_year);
  fillTable(
    'users-joined-body',
    rows.map((r) => ({
      cells: [
        String(r.post_year),
        formatInt(r.number_users_joined),
        formatInt(medianByYear.get(r.post_year)),
      ],
    })),
  );
  caption('users-joined', joined);
}
