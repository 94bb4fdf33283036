// Raw records as the source database and the ingest API receive them (shared/data/README.md).
// Dirty values are valid raw data (placeholders, "10k" follower counts, "Local save in ..."):
// these schemas reject only what no source may send — wrong types, impossible values, missing or
// unknown fields. The ingest API validates with them; the cleaning parses with them again.
import { z } from 'zod';

/** An integer, sent as a JSON number or, as the original source sometimes does, as digits. */
const intLike = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v),
    z
      .number({ error: 'expected an integer (a number or a string of digits)' })
      .int('expected an integer')
      .min(min)
      .max(max),
  );

/** `YYYY-MM-DD HH:MM:SS` (the original's format, read as UTC) or ISO 8601 with a time. */
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** UTC offsets in use run from -12:00 to +14:00. */
const VALID_OFFSET = /^[+-](0\d|1[0-4]):?[0-5]\d$/;

/** Whether the fields name a real instant: `new Date` would roll 2019-02-31 over to March 3. */
function isRealDateTime(s: string): boolean {
  const m = DATE_TIME.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map((x) => Number(x ?? 0)) as number[];
  const offset = m[7];
  if (offset && offset !== 'Z' && !VALID_OFFSET.test(offset)) return false;
  const t = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, sec!));
  return (
    t.getUTCFullYear() === y &&
    t.getUTCMonth() === mo! - 1 &&
    t.getUTCDate() === d &&
    t.getUTCHours() === h &&
    t.getUTCMinutes() === mi
  );
}

export const rawDateTime = z
  .string()
  .regex(DATE_TIME, 'expected "YYYY-MM-DD HH:MM:SS" or ISO 8601')
  .refine(isRealDateTime, 'not a real date and time');

/** The instant a raw date-time names; a time without an offset is UTC. */
export function parseRawDateTime(s: string): Date {
  const iso = s.replace(' ', 'T');
  return new Date(/(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : `${iso}Z`);
}

/** Digits, optionally with decimals and a k (thousand) or M (million) suffix, or the placeholder. */
export const FOLLOWER_COUNT = /^(\d+(\.\d+)?[kM]?|User Info Error)$/;

// PostgreSQL text and jsonb hold neither NUL nor a lone UTF-16 surrogate (JSON lets `"\ud800"` through):
// such a record is refused here, naming its field, instead of failing a load or a micro-batch later.
const noNul = (s: string) => !s.includes('\0');
const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine(noNul, 'contains a NUL character')
    .refine((s) => s.isWellFormed(), 'is not well-formed Unicode (a lone surrogate)');
const requiredText = (max: number) => text(max).refine((s) => s.length > 0, 'must not be empty');
const MAX_IND = 100_000_000;

export const RawPin = z.strictObject({
  index: intLike(0, MAX_IND),
  unique_id: requiredText(64),
  title: text(1_000),
  description: text(10_000),
  poster_name: text(500),
  follower_count: z.preprocess(
    (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? String(v) : v),
    z
      .string()
      .max(32)
      .regex(FOLLOWER_COUNT, 'expected digits with an optional k/M suffix, or "User Info Error"'),
  ),
  tag_list: text(5_000),
  is_image_or_video: requiredText(100),
  image_src: text(2_000),
  downloaded: intLike(0, 1),
  save_location: requiredText(500),
  category: requiredText(100),
});
export type RawPin = z.input<typeof RawPin>;

export const RawGeo = z.strictObject({
  ind: intLike(0, MAX_IND),
  timestamp: rawDateTime,
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  country: requiredText(200),
});
export type RawGeo = z.input<typeof RawGeo>;

export const RawUser = z.strictObject({
  ind: intLike(0, MAX_IND),
  first_name: requiredText(200),
  last_name: requiredText(200),
  age: intLike(0, 150),
  date_joined: rawDateTime,
});
export type RawUser = z.input<typeof RawUser>;
