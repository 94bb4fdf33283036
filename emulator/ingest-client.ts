// Posts one raw record to the ingest API and says what became of it. node:http with a keep-alive
// agent rather than the global fetch: it costs the emulator about half the CPU per request, which
// matters when it shares a small machine with the API it loads. Every body is read, so a
// connection is reused.
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
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
  // 503: Kafka or the queue; 429: the key's rate limit. Both say when to come back.
  if (status === 503 || status === 429)
    return { status: 'unavailable', retryAfterMs: parseRetryAfter(retryAfter) };
  return { status: 'error', detail: `HTTP ${status} ${body.slice(0, MAX_DETAIL)}` };
}

export function entityUrl(baseUrl: string, entity: Entity): string {
  return new URL(`v1/${entity}`, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).href;
}

const header = (headers: IncomingHttpHeaders, name: string): string | null => {
  const value = headers[name];
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
};

function failure(err: Error): PostResult {
  const code = (err as Error & { code?: string }).code;
  return {
    status: 'error',
    detail: code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message,
  };
}

export function createIngestClient({
  baseUrl,
  apiKey,
  timeoutMs = DEFAULT_TIMEOUT_MS,
}: IngestClientOptions): PostRecord {
  const protocol = new URL(baseUrl).protocol === 'https:' ? https : http;
  // Idle keep-alive sockets do not keep the process alive: the agent unrefs them.
  const agent = new protocol.Agent({ keepAlive: true });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (apiKey) headers['x-api-key'] = apiKey;
  return (entity, record) =>
    new Promise<PostResult>((resolve) => {
      const body = Buffer.from(JSON.stringify(record));
      const req = protocol.request(
        entityUrl(baseUrl, entity),
        { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve(classifyResponse(res.statusCode ?? 0, text, header(res.headers, 'retry-after')));
          });
          res.on('error', (err) => resolve(failure(err)));
        },
      );
      // The whole exchange, not only an idle socket, must finish within the timeout.
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', (err) => resolve(failure(err)));
      req.end(body);
    });
}
