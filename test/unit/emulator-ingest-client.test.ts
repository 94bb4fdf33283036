import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { generatePost } from '../../emulator/generator.ts';
import {
  classifyResponse,
  createIngestClient,
  entityUrl,
  parseRetryAfter,
} from '../../emulator/ingest-client.ts';

test('answers map to accepted, rejected, unauthorized, unavailable and error', () => {
  assert.deepEqual(classifyResponse(202, '', null), { status: 'accepted' });
  for (const status of [400, 413, 415, 422]) {
    assert.deepEqual(classifyResponse(status, '{"fields":["age"]}', null), {
      status: 'rejected',
      detail: `${status} {"fields":["age"]}`,
    });
  }
  assert.deepEqual(classifyResponse(401, '', null), { status: 'unauthorized' });
  assert.deepEqual(classifyResponse(503, '', '3'), { status: 'unavailable', retryAfterMs: 3_000 });
  assert.deepEqual(classifyResponse(503, '', null), { status: 'unavailable', retryAfterMs: undefined });
  assert.deepEqual(
    classifyResponse(429, '', '1'),
    { status: 'unavailable', retryAfterMs: 1_000 },
    'rate limited',
  );
  assert.deepEqual(classifyResponse(500, 'boom', null), { status: 'error', detail: 'HTTP 500 boom' });
  assert.deepEqual(classifyResponse(404, '', null), { status: 'error', detail: 'HTTP 404 ' });
});

test('Retry-After is read as seconds or as an HTTP date', () => {
  assert.equal(parseRetryAfter('2'), 2_000);
  assert.equal(parseRetryAfter('0.5'), 500);
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5_000);
  assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('soon'), undefined);
  assert.equal(parseRetryAfter(null), undefined);
});

test('entity URLs keep the base path', () => {
  assert.equal(entityUrl('http://localhost:8000', 'pin'), 'http://localhost:8000/v1/pin');
  assert.equal(entityUrl('http://h/ingest/', 'geo'), 'http://h/ingest/v1/geo');
});

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return body;
}

test('posts the raw record as JSON with the API key, and reports a dead server as an error', async () => {
  const seen: { url?: string; method?: string; key?: string | string[]; type?: string; body: unknown }[] = [];
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      seen.push({
        url: req.url,
        method: req.method,
        key: req.headers['x-api-key'],
        type: req.headers['content-type'],
        body: JSON.parse(body),
      });
      res.writeHead(seen.length === 1 ? 202 : 503, { 'retry-after': '1' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { pin, user } = generatePost(3, { seed: 1, posts: 10 });
  try {
    const post = createIngestClient({ baseUrl, apiKey: 'pinpipe-local-key' });
    assert.deepEqual(await post('pin', pin), { status: 'accepted' });
    assert.deepEqual(await post('user', user), { status: 'unavailable', retryAfterMs: 1_000 });
    assert.deepEqual(seen[0], {
      url: '/v1/pin',
      method: 'POST',
      key: 'pinpipe-local-key',
      type: 'application/json',
      body: pin,
    });
    const withoutKey = createIngestClient({ baseUrl });
    await withoutKey('user', user);
    assert.equal(seen[2]?.key, undefined, 'no header when the key is disabled');
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  const dead = await createIngestClient({ baseUrl })('pin', pin);
  assert.equal(dead.status, 'error');
  assert.match(dead.status === 'error' ? dead.detail : '', /ECONNREFUSED/);
});
