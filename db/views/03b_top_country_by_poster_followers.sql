-- 3b. The country whose top poster has the most followers: exactly one row; on a tie the first
-- country in alphabetical (byte, "C") order, the same on every server whatever its locale.
-- Reads 3a's fresh rows (files run in name order, in one transaction).
DELETE FROM top_country_by_poster_followers;

INSERT INTO top_country_by_poster_followers (country, follower_count)
SELECT country, follower_count
FROM top_poster_by_country
ORDER BY follower_count DESC, country COLLATE "C"
LIMIT 1;
