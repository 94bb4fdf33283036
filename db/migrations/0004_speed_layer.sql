-- Speed layer: exactly-once bookkeeping, dead letters and the small real-time views.

-- Records applied per partition, incremented in the micro-batch transaction with next_offset:
-- for a stream that started at offset 0, records_applied = next_offset proves no range was
-- applied twice.
ALTER TABLE speed.stream_offsets ADD COLUMN records_applied bigint NOT NULL DEFAULT 0;
ALTER TABLE speed.stream_offsets ADD COLUMN high_watermark bigint;

-- Records that could not be parsed or cleaned: also sent to the dead-letter topic (at least once),
-- recorded here exactly once, in the transaction that moves the offsets past them.
CREATE TABLE speed.dead_letters (
  topic           text NOT NULL,
  partition       integer NOT NULL,
  "offset"        bigint NOT NULL,
  stream          text NOT NULL,
  reason          text NOT NULL,
  raw             text NOT NULL,
  kafka_timestamp timestamptz NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition, "offset")
);

CREATE INDEX pin_event_time ON speed.pin (event_time);
CREATE INDEX geo_event_time ON speed.geo (event_time);

-- Posts per category and per country whose latest event arrived in the last hour.
CREATE VIEW speed.posts_per_category_last_hour AS
SELECT category, count(*)::int AS posts
FROM speed.pin
WHERE event_time > now() - interval '1 hour'
GROUP BY category;

CREATE VIEW speed.posts_per_country_last_hour AS
SELECT g.country, count(*)::int AS posts
FROM speed.geo g
WHERE g.event_time > now() - interval '1 hour'
GROUP BY g.country;

-- Posters by their largest follower count over the posts the speed layer holds.
CREATE VIEW speed.top_posters AS
SELECT poster_name, max(follower_count) AS follower_count, count(*)::int AS posts
FROM speed.pin
WHERE poster_name IS NOT NULL AND follower_count IS NOT NULL
GROUP BY poster_name;

-- When the row became visible: freshness = ingested_at - event_time (the API's acknowledgement).
ALTER TABLE speed.pin ADD COLUMN ingested_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE speed.geo ADD COLUMN ingested_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE speed."user" ADD COLUMN ingested_at timestamptz NOT NULL DEFAULT now();
