-- Run first by the views refresh, in the same transaction as every view file, with
-- search_path = <views schema>, <batch schema>, after latest_pin, latest_geo and latest_user were
-- made (infra/views.ts): one row per post across all loaded days, its latest event by Kafka's order
-- (domain/latest-event.ts). Here: the derived columns the views group by. Dropped at commit.
CREATE TEMP TABLE post_pin ON COMMIT DROP AS
SELECT ind, category, poster_name, follower_count
FROM latest_pin;

CREATE TEMP TABLE post_geo ON COMMIT DROP AS
SELECT ind, country, extract(year FROM "timestamp" AT TIME ZONE 'UTC')::integer AS post_year
FROM latest_geo;

CREATE TEMP TABLE post_user ON COMMIT DROP AS
SELECT
  ind,
  user_name,
  age,
  date_joined,
  extract(year FROM date_joined AT TIME ZONE 'UTC')::integer AS join_year,
  CASE
    WHEN age BETWEEN 18 AND 24 THEN '18-24'
    WHEN age BETWEEN 25 AND 35 THEN '25-35'
    WHEN age BETWEEN 36 AND 50 THEN '36-50'
    WHEN age >= 51 THEN '+50'
  END AS age_group
FROM latest_user;
