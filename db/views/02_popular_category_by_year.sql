-- 2. Most popular category per post year (the year of the geo timestamp, UTC), 2018 to 2022; ties kept.
DELETE FROM popular_category_by_year;

INSERT INTO popular_category_by_year (post_year, category, category_count)
SELECT post_year, category, category_count
FROM (
  SELECT
    g.post_year,
    p.category,
    count(*) AS category_count,
    rank() OVER (PARTITION BY g.post_year ORDER BY count(*) DESC) AS rank
  FROM post_pin p
  JOIN post_geo g USING (ind)
  WHERE g.post_year BETWEEN 2018 AND 2022
  GROUP BY g.post_year, p.category
) ranked
WHERE rank = 1;
