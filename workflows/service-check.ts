import { proxyActivities } from '@temporalio/workflow';
import type { HealthActivities, ServiceReport } from '../activities/health.ts';

const { checkKafka, checkS3, checkPostgres } = proxyActivities<HealthActivities>({
  startToCloseTimeout: '30 seconds',
  // A service that is down is reported after a few tries instead of being waited for forever.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
});

/** Runs one check per service on a pipeline worker: proof that the worker is wired correctly. */
export async function serviceCheck(): Promise<ServiceReport[]> {
  return Promise.all([checkKafka(), checkS3(), checkPostgres()]);
}
