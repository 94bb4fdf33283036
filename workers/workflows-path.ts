// Where the workflow code is, for the worker's bundle, the replay tests and the mocked-activity
// workflow tests: a module of its own, so that a test needing only the path loads no activity code.
import path from 'node:path';

export const WORKFLOWS_PATH = path.resolve(import.meta.dirname, '../workflows/index.ts');
