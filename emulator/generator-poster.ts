// A poster is one user with one location: every post of a poster repeats its user and geo fields,
// as in the real sample (shared/data/README.md: "a user row repeats for each of the user's posts").
import type { Faker } from '@faker-js/faker';
import { followerCount, posterName } from './generator-text.ts';
import { PLACEHOLDERS, SAMPLE_SHAPE } from './sample-profile.ts';
import { formatRawDateTime } from './source-records.ts';

export interface Poster {
  poster_name: string;
  follower_count: string;
  first_name: string;
  last_name: string;
  age: number;
  date_joined: string;
  latitude: number;
  longitude: number;
  country: string;
}

/** Poster 0 stands for the scraper's failures: its posts carry "User Info Error", as in the sample. */
export const INFO_ERROR_POSTER = 0;

/** A fraction of a range, crowded toward its low end the way the original's values are. */
export function lowEnd(f: Faker): number {
  return f.number.float() ** SAMPLE_SHAPE.lowEndSkew;
}

function coordinate(f: Faker, limit: number): number {
  return Number((-limit + 2 * limit * lowEnd(f)).toPrecision(SAMPLE_SHAPE.coordinateDigits));
}

function dateJoined(f: Faker): string {
  const { from, to } = SAMPLE_SHAPE.dateJoined;
  return formatRawDateTime(new Date(from + Math.floor(((to - from) / 1000) * lowEnd(f)) * 1000));
}

/** `f` must be seeded for this poster: the same seed gives the same poster. */
export function generatePoster(f: Faker, posterIndex: number): Poster {
  const [minAge, maxAge] = SAMPLE_SHAPE.ageRange;
  const countries = f.definitions.location.country;
  const poster = {
    first_name: f.person.firstName(),
    last_name: f.person.lastName(),
    age: minAge + Math.floor((maxAge - minAge + 1) * lowEnd(f)),
    date_joined: dateJoined(f),
    latitude: coordinate(f, 90),
    longitude: coordinate(f, 180),
    country: countries[Math.floor(countries.length * lowEnd(f))]!,
    poster_name: posterName(f),
    follower_count: followerCount(f),
  };
  if (posterIndex === INFO_ERROR_POSTER) {
    return { ...poster, poster_name: PLACEHOLDERS.userInfoError, follower_count: PLACEHOLDERS.userInfoError };
  }
  return poster;
}
