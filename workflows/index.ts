// Every workflow type the pipeline worker registers. Function names are workflow type names.
export { serviceCheck } from './service-check.ts';
export { stream } from './stream.ts';
export { batchDay } from './batch-day.ts';
