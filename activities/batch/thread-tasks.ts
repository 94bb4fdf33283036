// What a batch thread can run (threads.ts): each task gets the thread's clients, its input (plain
// data, copied across), a way to report progress (the activity heartbeats with it) and a signal that
// is aborted when the activity is cancelled.
import type { Kafka } from 'kafkajs';
import type { Config } from '../../infra/config.ts';
import { cleanRawFile } from './clean-file.ts';
import { exportPartitionRange } from './export-partition.ts';
import { mergeLatest } from './merge-latest.ts';
import type { Bucket } from './s3-objects.ts';

export interface ThreadClients {
  kafka: Kafka;
  bucket: Bucket;
  config: Config;
}

export interface TaskContext {
  progress(progress: unknown): void;
  signal: AbortSignal;
}

export const TASKS = {
  exportPartition: exportPartitionRange,
  cleanFile: cleanRawFile,
  mergeLatest,
};

export type TaskName = keyof typeof TASKS;
export type TaskInput<N extends TaskName> = Parameters<(typeof TASKS)[N]>[1];
export type TaskOutput<N extends TaskName> = Awaited<ReturnType<(typeof TASKS)[N]>>;
