// Text that PostgreSQL (text, jsonb) and Kafka headers take whatever it came from: a key or a label made
// from an untrusted record must not make the row that reports the record fail in turn.

/** `s` with each NUL and each lone UTF-16 surrogate replaced by U+FFFD. */
export function storableText(s: string): string {
  const wellFormed = s.isWellFormed() ? s : s.toWellFormed();
  return wellFormed.includes('\0') ? wellFormed.replaceAll('\0', '\uFFFD') : wellFormed;
}
