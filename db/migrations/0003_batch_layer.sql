-- Batch layer: the loaded days, their bookkeeping, and the tables the batch views are refreshed into.
-- BatchDay replaces one day (dt) of batch.pin/geo/user in one transaction; the views read one row per
-- post across days (the latest day's row wins), computed by the SQL files in db/views/.

-- One row per post and day: the post's latest event of that day (event_time, then Kafka position).
CREATE TABLE batch.pin (
  dt                date NOT NULL,
  ind               integer NOT NULL CHECK (ind >= 0),
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
  event_time        timestamptz NOT NULL,
  source_partition  integer NOT NULL,
  source_offset     bigint NOT NULL,
  PRIMARY KEY (dt, ind)
);

CREATE TABLE batch.geo (
  dt               date NOT NULL,
  ind              integer NOT NULL CHECK (ind >= 0),
  country          text NOT NULL,
  coordinates      double precision[] NOT NULL CHECK (cardinality(coordinates) = 2),
  "timestamp"      timestamptz NOT NULL,
  event_time       timestamptz NOT NULL,
  source_partition integer NOT NULL,
  source_offset    bigint NOT NULL,
  PRIMARY KEY (dt, ind)
);

CREATE TABLE batch."user" (
  dt               date NOT NULL,
  ind              integer NOT NULL CHECK (ind >= 0),
  user_name        text NOT NULL,
  age              integer NOT NULL CHECK (age >= 0),
  date_joined      timestamptz NOT NULL,
  event_time       timestamptz NOT NULL,
  source_partition integer NOT NULL,
  source_offset    bigint NOT NULL,
  PRIMARY KEY (dt, ind)
);

-- "The latest day's row of each post" reads these backwards.
CREATE INDEX pin_ind_dt ON batch.pin (ind, dt DESC);
CREATE INDEX geo_ind_dt ON batch.geo (ind, dt DESC);
CREATE INDEX user_ind_dt ON batch."user" (ind, dt DESC);

-- One row per day BatchDay ran for: its last run, its status and its report (reports/dt=…/report.json).
CREATE TABLE batch.days (
  dt               date PRIMARY KEY,
  status           text NOT NULL CHECK (status IN ('loaded', 'succeeded', 'failed')),
  workflow_id      text NOT NULL,
  run_id           text NOT NULL,
  rows_loaded      integer,
  records_exported bigint,
  records_cleaned  bigint,
  records_rejected bigint,
  report           jsonb,
  error            text,
  loaded_at        timestamptz,
  finished_at      timestamptz
);

CREATE SCHEMA IF NOT EXISTS batch_views;

-- The batch views (shared/data/README.md, "Batch views: exact semantics"). Ties are kept; read them
-- ordered by their primary key. Medians are percentile_cont(0.5) over non-null follower counts.

-- 1. Most popular category per country.
CREATE TABLE batch_views.popular_category_by_country (
  country        text NOT NULL,
  category       text NOT NULL,
  category_count bigint NOT NULL,
  PRIMARY KEY (country, category)
);

-- 2. Most popular category per post year (year of the geo timestamp), 2018–2022.
CREATE TABLE batch_views.popular_category_by_year (
  post_year      integer NOT NULL CHECK (post_year BETWEEN 2018 AND 2022),
  category       text NOT NULL,
  category_count bigint NOT NULL,
  PRIMARY KEY (post_year, category)
);

-- 3a. The poster(s) with the most followers per country.
CREATE TABLE batch_views.top_poster_by_country (
  country        text NOT NULL,
  poster_name    text NOT NULL,
  follower_count bigint NOT NULL,
  PRIMARY KEY (country, poster_name)
);

-- 3b. The country whose top poster has the most followers: one row (ties: first country, "C" order).
CREATE TABLE batch_views.top_country_by_poster_followers (
  country        text PRIMARY KEY,
  follower_count bigint NOT NULL
);

-- 4. Most popular category per age group.
CREATE TABLE batch_views.popular_category_by_age_group (
  age_group      text NOT NULL CHECK (age_group IN ('18-24', '25-35', '36-50', '+50')),
  category       text NOT NULL,
  category_count bigint NOT NULL,
  PRIMARY KEY (age_group, category)
);

-- 5. Median follower count per age group.
CREATE TABLE batch_views.median_followers_by_age_group (
  age_group             text PRIMARY KEY CHECK (age_group IN ('18-24', '25-35', '36-50', '+50')),
  median_follower_count double precision NOT NULL
);

-- 6. Users joined per year (distinct users by identity), 2015–2020.
CREATE TABLE batch_views.users_joined_by_year (
  post_year           integer PRIMARY KEY CHECK (post_year BETWEEN 2015 AND 2020),
  number_users_joined bigint NOT NULL
);

-- 7. Median follower count by joining year, 2015–2020.
CREATE TABLE batch_views.median_followers_by_join_year (
  post_year             integer PRIMARY KEY CHECK (post_year BETWEEN 2015 AND 2020),
  median_follower_count double precision NOT NULL
);

-- 8. Median follower count by joining year and age group, 2015–2020.
CREATE TABLE batch_views.median_followers_by_age_group_and_join_year (
  age_group             text NOT NULL CHECK (age_group IN ('18-24', '25-35', '36-50', '+50')),
  post_year             integer NOT NULL CHECK (post_year BETWEEN 2015 AND 2020),
  median_follower_count double precision NOT NULL,
  PRIMARY KEY (age_group, post_year)
);

-- Which SQL file (and which version of it) produced each view's rows, and when.
CREATE TABLE batch_views.refreshes (
  view_name    text PRIMARY KEY,
  sql_file     text NOT NULL,
  sql_sha256   text NOT NULL,
  row_count    bigint NOT NULL,
  workflow_id  text NOT NULL,
  run_id       text NOT NULL,
  refreshed_at timestamptz NOT NULL
);
