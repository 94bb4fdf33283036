// `npm run history:record -- <workflow id>`: saves a finished workflow's history as
// test/fixtures/histories/<workflow id>.json (replay needs the id: a batch day's workflow behaves by
// it), which test/unit/workflow-replay.test.ts replays against the
// current workflow code on every run of the suite (README, "Deploying a change to a workflow").
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { loadConfigOrExit } from '../infra/config.ts';
import { connectTemporal } from '../infra/temporal.ts';

const USAGE = 'usage: npm run history:record -- <workflow id>   (of a workflow whose run has ended)';
const HISTORIES_DIR = path.resolve(import.meta.dirname, '../test/fixtures/histories');

async function main(): Promise<void> {
  const [workflowId] = process.argv.slice(2);
  if (!workflowId || !/^[A-Za-z0-9._-]+$/.test(workflowId)) {
    console.error(USAGE);
    process.exit(2);
  }
  const config = loadConfigOrExit();
  const { client, connection } = await connectTemporal(config);
  try {
    const handle = client.workflow.getHandle(workflowId);
    const { status } = await handle.describe();
    if (status.name === 'RUNNING') {
      console.error(`${workflowId} is still running: record a history once its run has ended`);
      process.exit(1);
    }
    const history = await handle.fetchHistory();
    const file = path.join(HISTORIES_DIR, `${workflowId}.json`);
    await mkdir(HISTORIES_DIR, { recursive: true });
    await writeFile(file, `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
    console.log(
      `${workflowId} (${status.name}, ${history.events?.length ?? 0} events) → ${path.relative(process.cwd(), file)}`,
    );
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
