import { Context } from '@temporalio/activity';

/** The workflow run this activity works for: batch rows and files are stamped with it. */
export function currentRun(): { workflowId: string; runId: string } {
  const run = Context.current().info.workflowExecution;
  if (!run) throw new Error('batch activities run on behalf of a workflow');
  return run;
}
