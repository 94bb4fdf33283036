// Cleaned records, as both layers write them to S3 and PostgreSQL (shared/data/README.md, "Cleaning
// rules"). The cleaning builds them directly, without parsing them again; these schemas give their
// types and check cleaned data wherever it is read back.
import { z } from 'zod';
import type { Entity } from './wire.ts';

const ind = z.number().int().min(0);
/** A text column whose placeholders and empty string became null. */
const optionalText = z.string().min(1).nullable();
const requiredText = z.string().min(1);
/** `2019-03-28T09:16:33.000Z`: always UTC, never an offset. */
const utcTimestamp = z.iso.datetime();

export const CleanPin = z.strictObject({
  ind,
  unique_id: requiredText,
  title: optionalText,
  description: optionalText,
  follower_count: z.number().int().min(0).nullable(),
  poster_name: optionalText,
  tag_list: optionalText,
  is_image_or_video: requiredText,
  image_src: optionalText,
  save_location: requiredText,
  category: requiredText,
});
export type CleanPin = z.infer<typeof CleanPin>;

export const CleanGeo = z.strictObject({
  ind,
  country: requiredText,
  /** `[latitude, longitude]` */
  coordinates: z.tuple([z.number().min(-90).max(90), z.number().min(-180).max(180)]),
  timestamp: utcTimestamp,
});
export type CleanGeo = z.infer<typeof CleanGeo>;

export const CleanUser = z.strictObject({
  ind,
  user_name: requiredText,
  age: z.number().int().min(0),
  date_joined: utcTimestamp,
});
export type CleanUser = z.infer<typeof CleanUser>;

export const CLEAN_SCHEMAS = { pin: CleanPin, geo: CleanGeo, user: CleanUser } as const;

export interface CleanRecords {
  pin: CleanPin;
  geo: CleanGeo;
  user: CleanUser;
}
export type CleanRecord<E extends Entity = Entity> = CleanRecords[E];

/** Column order of each cleaned table: the S3 files and the SQL column lists follow it. */
export const CLEAN_COLUMNS = {
  pin: [
    'ind',
    'unique_id',
    'title',
    'description',
    'follower_count',
    'poster_name',
    'tag_list',
    'is_image_or_video',
    'image_src',
    'save_location',
    'category',
  ],
  geo: ['ind', 'country', 'coordinates', 'timestamp'],
  user: ['ind', 'user_name', 'age', 'date_joined'],
} as const satisfies { readonly [E in Entity]: readonly (keyof CleanRecords[E])[] };
