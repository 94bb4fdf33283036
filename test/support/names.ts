import { randomBytes } from 'node:crypto';

/** A fresh name per test run, so tests never see each other's topics, queues, keys or ids. */
export function freshName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
