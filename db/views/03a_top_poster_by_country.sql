-- 3a. The poster with the most followers per country: each poster's largest follower count among
-- their posts in the country (posts without a poster or a count do not compete); ties kept.
DELETE FROM top_poster_by_country;

INSERT INTO top_poster_by_country (country, poster_name, follower_count)
SELECT country, poster_name, follower_count
FROM (
  SELECT
    g.country,
    p.poster_name,
    max(p.follower_count) AS follower_count,
    rank() OVER (PARTITION BY g.country ORDER BY max(p.follower_count) DESC) AS rank
  FROM post_pin p
  JOIN post_geo g USING (ind)
  WHERE p.poster_name IS NOT NULL AND p.follower_count IS NOT NULL
  GROUP BY g.country, p.poster_name
) ranked
WHERE rank = 1;
