-- Cleaned records, one row per post (`ind`), in the column order of shared/data/README.md.
-- The speed layer upserts into speed.*; the batch layer loads batch.* one day at a time.
CREATE SCHEMA IF NOT EXISTS speed;
CREATE SCHEMA IF NOT EXISTS batch;

CREATE TABLE speed.pin (
  ind               integer PRIMARY KEY CHECK (ind >= 0),
  unique_id         text NOT NULL,
  title             text,
  description       text,
  follower_count    bigint CHECK (follower_count >= 0),
  poster_name       text,
  tag_list          text,
  is_image_or_video text NOT NULL,
  image_src         text,
  save_location     text NOT NULL,
  category          text NOT NULL,
  -- Kafka position of the event this row holds: the latest event wins, replays change nothing.
  event_time        timestamptz NOT NULL,
  source_partition  integer NOT NULL,
  source_offset     bigint NOT NULL
);

CREATE TABLE speed.geo (
  ind              integer PRIMARY KEY CHECK (ind >= 0),
  country          text NOT NULL,
  coordinates      double precision[] NOT NULL CHECK (cardinality(coordinates) = 2),
  "timestamp"      timestamptz NOT NULL,
  event_time       timestamptz NOT NULL,
  source_partition integer NOT NULL,
  source_offset    bigint NOT NULL
);

CREATE TABLE speed."user" (
  ind              integer PRIMARY KEY CHECK (ind >= 0),
  user_name        text NOT NULL,
  age              integer NOT NULL CHECK (age >= 0),
  date_joined      timestamptz NOT NULL,
  event_time       timestamptz NOT NULL,
  source_partition integer NOT NULL,
  source_offset    bigint NOT NULL
);

-- The speed layer's checkpoint: the next offset to read per topic partition, written in the same
-- transaction as the rows it covers. This, not Kafka's committed offsets, is the stream's truth.
CREATE TABLE speed.stream_offsets (
  stream      text NOT NULL,
  topic       text NOT NULL,
  partition   integer NOT NULL CHECK (partition >= 0),
  next_offset bigint NOT NULL CHECK (next_offset >= 0),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream, topic, partition)
);
