-- 7. Median follower count by joining year, 2015 to 2020, over posts joined with their user.
DELETE FROM median_followers_by_join_year;

INSERT INTO median_followers_by_join_year (post_year, median_follower_count)
SELECT u.join_year, percentile_cont(0.5) WITHIN GROUP (ORDER BY p.follower_count)
FROM post_pin p
JOIN post_user u USING (ind)
WHERE u.join_year BETWEEN 2015 AND 2020 AND p.follower_count IS NOT NULL
GROUP BY u.join_year;
