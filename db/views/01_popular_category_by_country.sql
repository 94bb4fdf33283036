-- 1. Most popular category per country: posts (pin joined with geo) per country and category; every
-- category of rank 1 is kept.
DELETE FROM popular_category_by_country;

INSERT INTO popular_category_by_country (country, category, category_count)
SELECT country, category, category_count
FROM (
  SELECT
    g.country,
    p.category,
    count(*) AS category_count,
    rank() OVER (PARTITION BY g.country ORDER BY count(*) DESC) AS rank
  FROM post_pin p
  JOIN post_geo g USING (ind)
  GROUP BY g.country, p.category
) ranked
WHERE rank = 1;
