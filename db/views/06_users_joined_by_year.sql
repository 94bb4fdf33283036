-- 6. Users joined per year, 2015 to 2020: distinct users by identity (first and last name, age,
-- date joined; the cleaned user_name is first + ' ' + last), by the year of date_joined (UTC).
DELETE FROM users_joined_by_year;

INSERT INTO users_joined_by_year (post_year, number_users_joined)
SELECT join_year, count(*)
FROM (SELECT DISTINCT user_name, age, date_joined, join_year FROM post_user) users
WHERE join_year BETWEEN 2015 AND 2020
GROUP BY join_year;
