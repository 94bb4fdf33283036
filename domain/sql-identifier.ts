// Schema names reach SQL from configuration and from workflow input. pg.escapeIdentifier quotes them
// anyway; this check keeps them to names that need no quoting, so a name in the logs, in psql and in
// the SQL files is the same name.

/** A lower-case PostgreSQL identifier: a letter or `_`, then letters, digits or `_`, 63 bytes at most. */
export const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
export const SQL_IDENTIFIER_RULE = 'a lower-case PostgreSQL identifier';

export function isSqlIdentifier(name: string): boolean {
  return SQL_IDENTIFIER.test(name);
}
