-- 5. Median follower count per age group, over posts (each post's follower count, joined with the
-- post's user), exact and interpolated.
DELETE FROM median_followers_by_age_group;

INSERT INTO median_followers_by_age_group (age_group, median_follower_count)
SELECT u.age_group, percentile_cont(0.5) WITHIN GROUP (ORDER BY p.follower_count)
FROM post_pin p
JOIN post_user u USING (ind)
WHERE u.age_group IS NOT NULL AND p.follower_count IS NOT NULL
GROUP BY u.age_group;
