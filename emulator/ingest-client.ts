// Posts one raw record to the ingest API and says what became of it. Node's global fetch (undici)
// keeps connections alive by default; reading every body lets a connection be reused.
import type { Entity } from '../domain/wire.ts';
import type { SourceRecord } from './source-records.ts';

export type PostResult =
  | { status: 'accepted' }
  | { status: 'rejected'; detail: string }
  | { status: 'unauthorized' }
  | { status: 'unavailable'; retryAfterMs?: number }
  | { status: 'error'; detail: string };

export type PostRecord = (entity: Entity, record: SourceRecord) => Promise<PostResult>;

export interface IngestClientOptions {
  baseUrl: string;
  apiKey?: string;
  timeoutMs?: number;
}

const REJECTED = new Set([400, 413, 415, 422]);
const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_DETAIL = 500;

/** Retry-After is either delay-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function classifyResponse(status: number, body: string, retryAfter: string | null): PostResult {
  if (status >= 200 && status < 300) return { status: 'accepted' };
  if (REJECTED.has(status)) return { status: 'rejected', detail: `${status} ${body.slice(0, MAX_DETAIL)}` };
  if (status === 401) return { status: 'unauthorized' };
  if (status === 503) return { status: 'unavailable', retryAfterMs: parseRetryAfter(retryAfter) };
  return { status: 'error', detail: `HTTP ${status} ${body.slice(0, MAX_DETAIL)}` };
}

export function entityUrl(baseUrl: string, entity: Entity): string {
  return new URL(`v1/${entity}`, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).href;
}

export function createIngestClient({
  baseUrl,
  apiKey,
  timeoutMs = DEFAULT_TIMEOUT_MS,
}: IngestClientOptions): PostRecord {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (apiKey) headers['x-api-key'] = apiKey;
  return async (entity, record) => {
    try {
      const res = await fetch(entityUrl(baseUrl, entity), {
        method: 'POST',
        headers,
        body: JSON.stringify(record),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = await res.text();
      return classifyResponse(res.status, body, res.headers.get('retry-after'));
    } catch (err) {
      const cause = (err as Error & { cause?: Error }).cause;
      return { status: 'error', detail: cause ? `${(err as Error).message}: ${cause.message}` : String(err) };
    }
  };
}
