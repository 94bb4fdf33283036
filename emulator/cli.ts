// Command-line parsing shared by `npm run seed` and `npm run emulate`: node's parseArgs for the
// syntax, zod for the values, and one UsageError naming the bad option.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';
import { fieldIssues } from '../domain/zod-issues.ts';
import { UsageError } from './errors.ts';

/** A numeric option: digits as typed; anything else (even "") fails with the schema's message. */
export function numeric<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (typeof v === 'string' ? (v.trim() === '' ? NaN : Number(v)) : v), schema);
}

export function parseCommandLine<S extends z.ZodObject>(
  argv: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
  schema: S,
): z.infer<S> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const result = schema.safeParse(values);
  if (!result.success) {
    const messages = fieldIssues(result.error.issues).map(({ path, message }) =>
      path.length === 0 ? message : `--${String(path[0])}: ${message}`,
    );
    throw new UsageError(messages.join('\n'));
  }
  return result.data;
}

/** Prints a usage error and exits 2, the way command-line tools report misuse. */
export function exitOnUsageError(err: unknown, help: string): never {
  if (err instanceof UsageError) {
    console.error(`${err.message}\n\n${help}`);
    process.exit(2);
  }
  throw err;
}
