-- 8. Median follower count by joining year and age group, 2015 to 2020, over posts joined with
-- their user.
DELETE FROM median_followers_by_age_group_and_join_year;

INSERT INTO median_followers_by_age_group_and_join_year (age_group, post_year, median_follower_count)
SELECT u.age_group, u.join_year, percentile_cont(0.5) WITHIN GROUP (ORDER BY p.follower_count)
FROM post_pin p
JOIN post_user u USING (ind)
WHERE u.age_group IS NOT NULL AND u.join_year BETWEEN 2015 AND 2020 AND p.follower_count IS NOT NULL
GROUP BY u.age_group, u.join_year;
