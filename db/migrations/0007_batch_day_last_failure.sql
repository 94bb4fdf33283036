-- A failed re-run of a day that had succeeded (Kafka no longer holds it and no archive exists, say)
-- leaves the day's rows and its succeeded status as they are: they still describe what is loaded.
-- The failure is kept here instead, for the status page and the dashboard.
ALTER TABLE batch.days ADD COLUMN last_failure jsonb;
COMMENT ON COLUMN batch.days.last_failure IS
  'the latest failed run of the day: {"workflowId", "runId", "error", "at"}; null once a run succeeds';
