// A pipeline worker process for tests that kill one: the same workers as `npm run worker`, on the
// queues given as arguments, except that each unit's clean (and each clean of a day run before units)
// first waits (heartbeating) for BATCH_TEST_CLEAN_DELAY_MS, so that a test can kill the process in
// the middle of it. Prints "ready" once it polls. Usage: batch-worker-process.ts <shared queue> <local queue>
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '@temporalio/activity';
import type { Next } from '@temporalio/common';
import {
  DefaultLogger,
  Runtime,
  type ActivityExecuteInput,
  type ActivityInboundCallsInterceptor,
} from '@temporalio/worker';
import { loadConfig } from '../../infra/config.ts';
import { createProcessWorkers } from '../../workers/pipeline-worker.ts';
import { openTestClients } from './clients.ts';

async function main(): Promise<void> {
  const [sharedQueue, localQueue] = process.argv.slice(2);
  if (!sharedQueue || !localQueue)
    throw new Error('usage: batch-worker-process.ts <shared queue> <local queue>');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const delayMs = Number(process.env.BATCH_TEST_CLEAN_DELAY_MS ?? 0);
  const config = loadConfig(process.env);
  const opened = await openTestClients(config, { streamReader: false });
  const { clients, connection } = opened;
  const interceptors = {
    activity: [
      (ctx: Context) => ({
        inbound: {
          async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>) {
            if (ctx.info.activityType === 'cleanBatchRaw' || ctx.info.activityType === 'cleanBatchUnit') {
              for (const until = Date.now() + delayMs; Date.now() < until; await sleep(200)) ctx.heartbeat();
            }
            return next(input);
          },
        },
      }),
    ],
  };
  const workers = await createProcessWorkers(
    config,
    clients,
    connection,
    sharedQueue,
    localQueue,
    undefined,
    {
      interceptors,
    },
  );
  const running = Promise.all(workers.map((w) => w.run()));
  console.log('ready');
  // SIGTERM shuts the workers down (the SDK's runtime handles it); then the clients close too.
  await running;
  await opened.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
