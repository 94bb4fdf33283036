// The API process itself: a configuration that would leave it open is refused before it listens or
// connects to anything, naming the variable.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SERVER = path.resolve(import.meta.dirname, '../../api/server.ts');

async function start(env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  const { API_KEY: _key, API_AUTH: _auth, NODE_ENV: _env, ...rest } = process.env;
  try {
    await run(process.execPath, ['--import', 'tsx', SERVER], {
      env: { ...rest, API_PORT: '1', ...env },
      timeout: 30_000,
    });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stderr: e.stderr ?? '' };
  }
}

test('NODE_ENV=production: the published key and an empty one are refused at start, naming API_KEY', async () => {
  for (const env of [{ NODE_ENV: 'production' }, { NODE_ENV: 'production', API_KEY: '' }, { API_KEY: '' }]) {
    const { code, stderr } = await start(env);
    assert.equal(code, 1, JSON.stringify(env));
    assert.match(stderr, /^API_KEY (holds the local stack's published key|is empty)/m, JSON.stringify(env));
  }
});
