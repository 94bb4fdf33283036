-- 4. Most popular category per age group (18-24, 25-35, 36-50, +50): posts joined with their user;
-- users younger than 18 belong to no group. Ties kept.
DELETE FROM popular_category_by_age_group;

INSERT INTO popular_category_by_age_group (age_group, category, category_count)
SELECT age_group, category, category_count
FROM (
  SELECT
    u.age_group,
    p.category,
    count(*) AS category_count,
    rank() OVER (PARTITION BY u.age_group ORDER BY count(*) DESC) AS rank
  FROM post_pin p
  JOIN post_user u USING (ind)
  WHERE u.age_group IS NOT NULL
  GROUP BY u.age_group, p.category
) ranked
WHERE rank = 1;
