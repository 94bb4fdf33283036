// Zod's issues as the pipeline reports them everywhere (API 400s, cleaning reasons, command-line
// usage errors, cleaned rows read back): one issue per field, named by its path. zod reports unknown
// fields on their parent object; each is named on its own here.
import type { z } from 'zod';

export interface FieldIssue {
  /** Where: the field's path (`[]` for the value itself). */
  path: PropertyKey[];
  message: string;
  /** The zod issue it came from, for callers that tell kinds apart (a missing field, an unknown one). */
  issue: z.core.$ZodIssue;
}

export const UNKNOWN_FIELD = 'unknown field';

export function fieldIssues(issues: readonly z.core.$ZodIssue[]): FieldIssue[] {
  return issues.flatMap((issue): FieldIssue[] =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: [...issue.path, key], message: UNKNOWN_FIELD, issue }))
      : [{ path: [...issue.path], message: issue.message, issue }],
  );
}

/** `a.b.0`, or `whole` for the value itself. */
export function pathText(path: readonly PropertyKey[], whole = 'record'): string {
  return path.length === 0 ? whole : path.map(String).join('.');
}

/** `field: message; other: message`: every issue of an error, on one line. */
export function describeIssues(error: z.ZodError, whole = 'record'): string {
  return fieldIssues(error.issues)
    .map((i) => `${pathText(i.path, whole)}: ${i.message}`)
    .join('; ');
}
