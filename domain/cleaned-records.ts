// Cleaned records, as both layers write them to S3 and PostgreSQL (shared/data/README.md, "Cleaning
// rules"). The cleaning builds them directly, without parsing them again; these schemas give their
// types, their column order (the order of their fields) and check cleaned data wherever it is read
// back. domain/entities.ts gives each its SQL types.
import { z } from 'zod';

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
