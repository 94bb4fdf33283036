// The Temporal CLI that stack/install.sh puts in the project's cache, started as a throwaway dev server
// for workflow tests: in memory, on a free port, with the pipeline's search attributes. Nothing is
// downloaded (the SDK would otherwise fetch a CLI of its own).
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundle } from '@temporalio/worker';
import { SEARCH_ATTRIBUTES } from '../../domain/wire.ts';
import { WORKFLOWS_PATH } from '../../workers/workflows-path.ts';
import { pinpipeCacheDir } from './cache-dir.ts';
import { freePort } from './net.ts';

/** The CLI stack/install.sh installs: `<cache>/bin/temporal` (test/support/cache-dir.ts). */
export function temporalCliPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(pinpipeCacheDir(env), 'bin', 'temporal');
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

/** What a workflow test file shares: a dev server and the workflows' bundle, made side by side. */
export async function startWorkflowTestbed(): Promise<{
  env: TestWorkflowEnvironment;
  workflowBundle: WorkflowBundle;
}> {
  const [env, workflowBundle] = await Promise.all([
    startTestTemporal(),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('ERROR') }),
  ]);
  return { env, workflowBundle };
}
