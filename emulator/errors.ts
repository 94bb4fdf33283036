// Errors of the seed and the emulator, each with a stable name and its context as fields.

/** A command-line option is unknown, missing its value or out of range. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The source tables do not exist: the migrations have not run. */
export class SourceSchemaMissingError extends Error {
  override readonly name = 'SourceSchemaMissingError';
  readonly pgCode: string;
  constructor(pgCode: string) {
    super('the source tables do not exist: run `npm run migrate`, then `npm run seed`');
    this.pgCode = pgCode;
  }
}

/** The source tables exist but hold no data set: nothing to replay. */
export class SourceNotSeededError extends Error {
  override readonly name = 'SourceNotSeededError';
  constructor() {
    super('the source database is empty: run `npm run seed` first');
  }
}

/** The ingest API refused the API key (401): every further request would fail the same way. */
export class UnauthorizedError extends Error {
  override readonly name = 'UnauthorizedError';
  readonly url: string;
  constructor(url: string) {
    super(`the ingest API at ${url} refused the API key (401): check API_KEY`);
    this.url = url;
  }
}
