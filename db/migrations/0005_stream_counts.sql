-- Dead-lettered records per partition, counted in the micro-batch transaction like records_applied,
-- so the stream's counts come from PostgreSQL and stay exact when a worker dies after a commit.
ALTER TABLE speed.stream_offsets ADD COLUMN records_dead bigint NOT NULL DEFAULT 0;
