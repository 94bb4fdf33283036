// API_PROCESSES=2: api/server.ts as a primary and two workers, real processes with a Kafka that is not
// there (the API serves, and says it is not ready): both workers answer, /metrics sums them, SIGTERM
// drains them all, a killed worker is replaced and a crash loop ends the primary.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { LOCAL_API_KEY } from '../../infra/config.ts';
import { freePort } from '../support/net.ts';
import { pin } from '../support/records.ts';
import { waitFor } from '../support/wait.ts';

const SERVER = path.resolve(import.meta.dirname, '../../api/server.ts');
const READ_KEY = 'metrics-reader-0123';

interface Api {
  url: string;
  child: ChildProcess;
  /** The primary's and the workers' JSON log lines so far. */
  logs(): { msg?: string; pid?: number; code?: number | null; signal?: string | null }[];
  exited: Promise<number | null>;
}

async function startApi(env: NodeJS.ProcessEnv = {}): Promise<Api> {
  const { API_KEY: _k, API_KEYS: _ks, API_READ_KEYS: _r, API_AUTH: _a, NODE_ENV: _e, ...rest } = process.env;
  const port = env.API_PORT ?? String(await freePort());
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    env: {
      ...rest,
      API_PROCESSES: '2',
      API_PORT: port,
      API_HOST: '127.0.0.1',
      API_READ_KEYS: `reader:${READ_KEY}`,
      // Per key: 20 records at once, then next to nothing.
      API_RATE_BURST: '20',
      API_RATE_LIMIT: '0.001',
      KAFKA_BROKERS: `127.0.0.1:${await freePort()}`,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const logs = () =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as ReturnType<Api['logs']>[number]);
  return { url: `http://127.0.0.1:${port}`, child, logs, exited };
}

/** One request on a connection of its own: the cluster hands each connection to a worker in turn. */
function send(
  url: string,
  { headers = {}, body }: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const method = body === undefined ? 'GET' : 'POST';
    const all = body === undefined ? headers : { ...headers, 'content-type': 'application/json' };
    const req = httpRequest(url, { agent: false, method, headers: all }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const get = (url: string, headers: Record<string, string> = {}) => send(url, { headers });

async function healthzPid(api: Api): Promise<number> {
  return (JSON.parse((await get(`${api.url}/healthz`)).body) as { pid: number }).pid;
}

function sample(metrics: string, series: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const metricsOf = async (api: Api) => (await get(`${api.url}/metrics`, { 'x-api-key': READ_KEY })).body;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const up = (api: Api) =>
  waitFor(
    'the API',
    async () => ((await get(`${api.url}/healthz`).catch(() => undefined))?.status === 200 ? true : undefined),
    30_000,
  );

test(
  'API_PROCESSES=2: two processes serve, /metrics sums both, SIGTERM drains both and exits 0',
  { timeout: 90_000 },
  async () => {
    const api = await startApi();
    try {
      await up(api);
      await waitFor('both workers listening', async () =>
        api.logs().some((l) => l.msg === 'API processes listening') ? true : undefined,
      );
      const served = new Map<number, number>();
      const healthz = 20;
      for (let i = 0; i < healthz; i++) {
        const pid = await healthzPid(api);
        served.set(pid, (served.get(pid) ?? 0) + 1);
      }
      assert.equal(served.size, 2, `two pids answered: ${JSON.stringify([...served])}`);
      assert.ok(!served.has(api.child.pid!), 'the primary serves no request');

      const ready = await get(`${api.url}/readyz`);
      assert.equal(ready.status, 503, 'Kafka is not there');
      assert.equal((JSON.parse(ready.body) as { processes: number }).processes, 2);

      // Each process takes 1/2 of the key's burst of 20: one batch of 10 records, then 429 (the whole
      // burst in each would take all four).
      const batch = {
        records: Array.from({ length: 10 }, (_, i) => ({ entity: 'pin', data: pin({ index: i }) })),
      };
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await send(`${api.url}/v1/events`, {
          headers: { 'x-api-key': LOCAL_API_KEY },
          body: batch,
        });
        statuses.push(res.status);
      }
      assert.equal(
        statuses.filter((s) => s === 429).length,
        2,
        `one batch per process passes the limit (then Kafka, down, refuses it), one does not: ${statuses.join(',')}`,
      );

      assert.equal((await get(`${api.url}/metrics`)).status, 401, '/metrics keeps its read key');
      const series = 'http_requests_total{method="GET",route="/healthz",status="200"}';
      // Each worker counts a request once its response is sent: wait for the last one to be counted.
      const counted = healthz + 1; // and up()'s
      const merged = await waitFor('the merged counter', async () => {
        const text = await metricsOf(api);
        return sample(text, series) === counted ? text : undefined;
      });
      assert.equal(sample(merged, 'api_processes'), 2, 'both processes are in the answer');
      assert.match(merged, /^# TYPE http_request_duration_seconds histogram$/m);
      assert.equal(
        sample(merged, 'http_request_duration_seconds_count{method="GET",route="/healthz"}'),
        counted,
        'histograms merged',
      );

      api.child.kill('SIGTERM');
      assert.equal(await api.exited, 0, JSON.stringify(api.logs().slice(-5)));
      for (const pid of served.keys()) assert.ok(!alive(pid), `worker ${pid} is gone`);
      assert.equal(api.logs().filter((l) => l.msg === 'stopped').length, 2, 'each worker drained');
    } finally {
      api.child.kill('SIGKILL');
    }
  },
);

test('a worker that dies is logged with its signal and replaced', { timeout: 90_000 }, async () => {
  const api = await startApi();
  try {
    await up(api);
    const first = await waitFor('two workers', async () => {
      const pids = new Set<number>();
      for (let i = 0; i < 6; i++) pids.add(await healthzPid(api));
      return pids.size === 2 ? [...pids] : undefined;
    });
    const victim = first[0]!;
    process.kill(victim, 'SIGKILL');
    const logged = await waitFor('the death in the log', async () =>
      api.logs().find((l) => l.msg === 'an API process exited unexpectedly; starting another'),
    );
    assert.deepEqual(
      { pid: logged.pid, code: logged.code, signal: logged.signal },
      { pid: victim, code: null, signal: 'SIGKILL' },
    );
    const replacement = await waitFor(
      'a new worker answering',
      async () => {
        const pid = await healthzPid(api);
        return first.includes(pid) ? undefined : pid;
      },
      30_000,
    );
    assert.ok(alive(replacement));
    assert.equal(sample(await metricsOf(api), 'api_processes'), 2);
    api.child.kill('SIGTERM');
    assert.equal(await api.exited, 0);
  } finally {
    api.child.kill('SIGKILL');
  }
});

test(
  'workers that die at start (the port is taken) are restarted with back-off, then the primary gives up with exit 1',
  { timeout: 90_000 },
  async () => {
    const taken = createServer();
    const port = await new Promise<number>((resolve) =>
      taken.listen(0, '127.0.0.1', () => resolve((taken.address() as { port: number }).port)),
    );
    const api = await startApi({ API_PORT: String(port) });
    try {
      assert.equal(await api.exited, 1);
      const logs = api.logs();
      const restarts = logs.filter((l) => l.msg === 'an API process exited unexpectedly; starting another');
      assert.equal(restarts.length, 6, 'three restarts per process within a minute');
      assert.ok(
        logs.some((l) => /crash loop, giving up/.test(l.msg ?? '')),
        'the primary says why it exits',
      );
    } finally {
      api.child.kill('SIGKILL');
      taken.close();
    }
  },
);
