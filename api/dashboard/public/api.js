// The serving endpoints the page reads (api/serving/contract.ts), fetched side by side: one that
// fails leaves the others' panels up to date.
/* global fetch, AbortSignal, DOMException */

const TIMEOUT_MS = 4000;

export const ENDPOINTS = {
  status: '/v1/pipeline/status',
  postsPerMinute: '/v1/pipeline/posts-per-minute?minutes=60',
  categories: '/v1/analytics/categories?by=overall',
  postsPerCountry: '/v1/analytics/posts-per-country?limit=15',
  ageGroups: '/v1/analytics/age-groups',
  topPosters: '/v1/analytics/top-posters',
  usersJoined: '/v1/analytics/users-joined',
  joinYearMedians: '/v1/analytics/follower-medians?by=join_year',
};

/** @typedef {keyof typeof ENDPOINTS} EndpointName */

/** @param {string} path @returns {Promise<unknown>} */
async function getJson(path) {
  let res;
  try {
    res = await fetch(path, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    throw new Error(
      err instanceof DOMException && err.name === 'TimeoutError' ? 'timed out' : 'unreachable',
      {
        cause: err,
      },
    );
  }
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.json();
}

/**
 * Every endpoint once. `data` holds the answers that came; `failures` names the others and why.
 * @returns {Promise<{ data: Partial<Record<EndpointName, unknown>>, failures: { path: string, reason: string }[] }>}
 */
export async function fetchAll() {
  const names = /** @type {EndpointName[]} */ (Object.keys(ENDPOINTS));
  const results = await Promise.allSettled(names.map((name) => getJson(ENDPOINTS[name])));
  /** @type {Partial<Record<EndpointName, unknown>>} */
  const data = {};
  const failures = [];
  results.forEach((result, i) => {
    const name = /** @type {EndpointName} */ (names[i]);
    if (result.status === 'fulfilled') data[name] = result.value;
    else failures.push({ path: ENDPOINTS[name].split('?')[0], reason: result.reason.message });
  });
  return { data, failures };
}

/** "every endpoint: HTTP 503", or per reason the endpoints that gave it. @param {{ path: string, reason: string }[]} failures */
export function describeFailures(failures) {
  /** @type {Map<string, string[]>} */
  const byReason = new Map();
  for (const f of failures) byReason.set(f.reason, [...(byReason.get(f.reason) ?? []), f.path]);
  const [only] = byReason.keys();
  if (byReason.size === 1 && failures.length === Object.keys(ENDPOINTS).length)
    return [`every endpoint: ${only}`];
  return [...byReason].map(([reason, paths]) => `${reason}: ${paths.join(', ')}`);
}
