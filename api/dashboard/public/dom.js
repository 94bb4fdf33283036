// Small DOM helpers. Values from the API only ever become text nodes, never markup.
/* global document, HTMLElement */
import { safeUrl } from './format.js';

/**
 * @param {string} tag
 * @param {{ className?: string, title?: string }} [attrs]
 * @param {(Node | string)[]} [children]
 */
export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  if (attrs.className) node.className = attrs.className;
  if (attrs.title) node.title = attrs.title;
  node.append(...children);
  return node;
}

/** A link to the Temporal UI (a new tab), or the bare text when the URL is not http(s). @param {string} url @param {string} text */
export function temporalLink(url, text, label = text) {
  const href = safeUrl(url);
  if (href === null) return document.createTextNode(text);
  const a = el('a', { className: 'ext' }, [text]);
  a.href = href;
  a.target = '_blank';
  a.rel = 'noopener noreferrer';
  a.setAttribute('aria-label', `${label} in the Temporal UI (opens a new tab)`);
  return a;
}

const TONES = {
  ok: ['running', 'succeeded', 'active'],
  info: ['idle', 'loaded'],
  warn: ['pausing', 'paused', 'stopping', 'not answering'],
  bad: ['retrying', 'stopped', 'not running', 'failed', 'terminated', 'timed_out'],
};

/** A coloured state label: green runs, amber holds, red stopped or failed. @param {string} state */
export function badge(state) {
  const tone =
    Object.entries(TONES).find(([, states]) => states.includes(state.toLowerCase()))?.[0] ?? 'neutral';
  return el('span', { className: `badge badge-${tone}` }, [state]);
}

/** Points a static link at a URL from the API; hides it when there is none. @param {HTMLAnchorElement} a @param {string | null | undefined} url */
export function setLink(a, url) {
  const href = url ? safeUrl(url) : null;
  if (href !== null && a.href !== href) a.href = href;
  a.hidden = href === null;
}

/** @param {string} id @param {string} text */
export function setText(id, text) {
  const node = document.getElementById(id);
  if (node && node.textContent !== text) node.textContent = text;
}

/**
 * Replaces a table body's rows in one go; an empty list shows one "no data yet" row.
 * @param {string} tbodyId
 * @param {{ cells: (Node | string)[], className?: string }[]} rows
 */
export function fillTable(tbodyId, rows, emptyText = 'No data yet') {
  const tbody = /** @type {HTMLTableSectionElement} */ (document.getElementById(tbodyId));
  // Each cell takes its column header's class (e.g. `num`: right-aligned figures).
  const headers = [...(tbody.closest('table')?.querySelectorAll('thead th') ?? [])];
  if (rows.length === 0) {
    const cell = el('td', { className: 'empty-row' }, [emptyText]);
    cell.colSpan = Math.max(headers.length, 1);
    tbody.replaceChildren(el('tr', {}, [cell]));
    delete tbody.dataset.signature;
    return;
  }
  // Unchanged rows stay as they are: a refresh must not steal the focus from a link.
  const signature = JSON.stringify(rows.map((r) => [r.className, r.cells.map(cellKey)]));
  if (tbody.dataset.signature === signature) return;
  tbody.dataset.signature = signature;
  tbody.replaceChildren(
    ...rows.map((row) =>
      el(
        'tr',
        { className: row.className },
        row.cells.map((c, i) => el('td', { className: headers[i]?.className }, [c])),
      ),
    ),
  );
}

/** @param {Node | string} cell */
function cellKey(cell) {
  if (typeof cell === 'string') return cell;
  return `${cell.textContent}|${cell instanceof HTMLElement ? cell.className + (cell.getAttribute('href') ?? '') : ''}`;
}
