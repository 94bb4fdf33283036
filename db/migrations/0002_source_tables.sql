-- The source data set the emulator replays: the original's three MySQL tables, seeded by
-- `npm run seed`. Columns hold the raw values exactly as the emulator posts them, dirt included
-- ("10k" followers, placeholders, "Local save in ..."); dates are the original's naive UTC datetimes.
CREATE SCHEMA IF NOT EXISTS source;

CREATE TABLE source.pinterest_data (
  "index"           integer PRIMARY KEY CHECK ("index" >= 0),
  unique_id         text NOT NULL,
  title             text NOT NULL,
  description       text NOT NULL,
  poster_name       text NOT NULL,
  follower_count    text NOT NULL,
  tag_list          text NOT NULL,
  is_image_or_video text NOT NULL,
  image_src         text NOT NULL,
  downloaded        integer NOT NULL,
  save_location     text NOT NULL,
  category          text NOT NULL
);

CREATE TABLE source.geolocation_data (
  ind         integer PRIMARY KEY CHECK (ind >= 0),
  "timestamp" timestamp(0) NOT NULL,
  latitude    double precision NOT NULL,
  longitude   double precision NOT NULL,
  country     text NOT NULL
);

CREATE TABLE source.user_data (
  ind         integer PRIMARY KEY CHECK (ind >= 0),
  first_name  text NOT NULL,
  last_name   text NOT NULL,
  age         integer NOT NULL,
  date_joined timestamp(0) NOT NULL
);

-- What the last seed wrote, so the emulator draws `ind` from [0, posts) rather than a magic number.
CREATE TABLE source.seed_info (
  singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  seed         bigint NOT NULL,
  posts        integer NOT NULL CHECK (posts > 0),
  generated_at timestamptz NOT NULL DEFAULT now()
);
