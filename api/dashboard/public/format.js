// Formatting shared by the page's parts. Times are shown in UTC: batch days are UTC days.
/* global window, URL */

/** @typedef {import('../../serving/contract.ts').Sources} Sources */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** @param {number | null | undefined} n */
export function formatInt(n) {
  return n === null || n === undefined ? '—' : integer.format(n);
}

/** @param {number | null | undefined} n */
export function formatCompact(n) {
  return n === null || n === undefined ? '—' : compact.format(n);
}

/** @param {number | null | undefined} n */
export function formatRate(n) {
  return n === null || n === undefined ? '—' : oneDecimal.format(n);
}

/** A duration for humans: "850 ms", "4.2 s", "3 min", "2 h 5 min". @param {number | null | undefined} ms */
export function formatDuration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${oneDecimal.format(ms / 1000)} s`;
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** "2026-11-22 14:03 UTC" (seconds too when asked). @param {string | number | Date} t @param {boolean} [seconds] */
export function formatUtc(t, seconds = false) {
  const iso = new Date(t).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, seconds ? 19 : 16)} UTC`;
}

/** "14:03" (or "14:03:27") in UTC, for chart axes. @param {string} t */
export function formatClock(t, seconds = false) {
  return new Date(t).toISOString().slice(11, seconds ? 19 : 16);
}

/** The caption under a chart or table: which part came from which layer. @param {Sources} s */
export function sourcesCaption(s) {
  const batch =
    s.batch.throughDay === null
      ? 'no batch day yet'
      : `batch through ${s.batch.throughDay} (${formatInt(s.batch.posts)} posts)`;
  // No batch day yet: the speed layer holds every post (since is null).
  const speed =
    s.speed.posts === 0 && s.speed.since === null
      ? 'no speed layer data'
      : s.speed.since === null
        ? `speed: all (${formatInt(s.speed.posts)} posts)`
        : `speed since ${formatUtc(s.speed.since)} (${formatInt(s.speed.posts)} posts)`;
  return `${batch} + ${speed}`;
}

/** Only http(s) links reach an href: the URLs come from the API, not from this page. @param {string} url */
export function safeUrl(url) {
  try {
    const parsed = new URL(url, window.location.href);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}
