// zod validation middleware: a body that fails the schema becomes a ValidationError naming every
// bad field. The body itself is left as received: it is what goes to Kafka.
import type { RequestHandler } from 'express';
import type { z } from 'zod';
import { fieldIssues } from '../domain/zod-issues.ts';
import { ValidationError, type Issue } from './errors.ts';

export interface IssueOptions {
  /** The body's array of records (`records`): issues under it also carry the item's index. */
  itemsAt?: string;
}

function toIssue(path: PropertyKey[], message: string, opts: IssueOptions): Issue {
  const issue: Issue = { path: path.map(String).join('.'), message };
  if (opts.itemsAt !== undefined && path[0] === opts.itemsAt && typeof path[1] === 'number') {
    issue.index = path[1];
  }
  return issue;
}

/** Parsed with `reportInput`: a missing field is told apart from a wrong one (inputs are never echoed). */
function messageOf(issue: z.core.$ZodIssue): string {
  const missing = issue.code === 'invalid_type' && issue.input === undefined && issue.path.length > 0;
  return missing ? 'required field is missing' : issue.message;
}

export function toIssues(error: z.ZodError, opts: IssueOptions = {}): Issue[] {
  return fieldIssues(error.issues).map(({ path, message, issue }) =>
    toIssue(path, issue.code === 'unrecognized_keys' ? message : messageOf(issue), opts),
  );
}

export function validateBody(schema: z.ZodType, opts: IssueOptions = {}): RequestHandler {
  return (req, _res, next) => {
    const result = schema.safeParse(req.body, { reportInput: true });
    next(result.success ? undefined : new ValidationError(toIssues(result.error, opts)));
  };
}
