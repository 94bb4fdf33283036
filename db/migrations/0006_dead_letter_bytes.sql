-- A dead letter keeps the message value exactly as Kafka held it: bytes, not text, so that a value
-- PostgreSQL text cannot hold (a NUL, invalid UTF-8) is recorded instead of failing the micro-batch
-- that dead-letters it. Read it as text with convert_from(raw, 'UTF8') where it is valid UTF-8.
ALTER TABLE speed.dead_letters ALTER COLUMN raw TYPE bytea USING convert_to(raw, 'UTF8');

-- Offsets may have gaps (transaction markers, compaction): records_applied counts records, and
-- next_offset - (the first offset) is at least that.
COMMENT ON COLUMN speed.stream_offsets.records_applied IS
  'records applied or dead-lettered from this partition, counted in the transaction that moves next_offset';
