// The Temporal CLI that stack/install.sh puts in the project's cache, started as a throwaway dev server
// for workflow tests: in memory, on a free port, with the pipeline's search attributes. Nothing is
// downloaded (the SDK would otherwise fetch a CLI of its own).
import { access, constants } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTES } from '../../domain/wire.ts';
import { freePort } from './net.ts';

/** stack/lib.sh's rule: `${PINPIPE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pinpipe}/bin/temporal`. */
export function temporalCliPath(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.PINPIPE_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'pinpipe');
  return join(cache, 'bin', 'temporal');
}

/** A dev server of its own (no UI, nothing on disk), stopped by the returned environment's `teardown()`. */
export async function startTestTemporal(): Promise<TestWorkflowEnvironment> {
  const path = temporalCliPath();
  try {
    await access(path, constants.X_OK);
  } catch {
    throw new Error(
      `no Temporal CLI at ${path}: install it with \`bash stack/install.sh\` (or npm run stack:up)`,
    );
  }
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path },
      port: await freePort(),
      searchAttributes: Object.values(SEARCH_ATTRIBUTES),
    },
  });
}
