-- Run first by the views refresh, in the same transaction as every view file, with
-- search_path = <views schema>, <batch schema>. One row per post across all loaded days (the latest
-- day's row wins), with the derived columns the views group by. Dropped at commit.
CREATE TEMP TABLE post_pin ON COMMIT DROP AS
SELECT DISTINCT ON (ind) ind, category, poster_name, follower_count
FROM pin
ORDER BY ind, dt DESC;

CREATE TEMP TABLE post_geo ON COMMIT DROP AS
SELECT DISTINCT ON (ind) ind, country, extract(year FROM "timestamp" AT TIME ZONE 'UTC')::integer AS post_year
FROM geo
ORDER BY ind, dt DESC;

CREATE TEMP TABLE post_user ON COMMIT DROP AS
SELECT DISTINCT ON (ind)
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
FROM "user"
ORDER BY ind, dt DESC;
