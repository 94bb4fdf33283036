// The one cleaning implementation, shared by the batch and the speed layer (shared/data/README.md,
// "Cleaning rules"). Pure and on the hot path: one schema parse and one object literal per record,
// no regex built per call; a record is either cleaned whole or rejected with a reason.
import type { z } from 'zod';
import { parseRawDateTime, RawGeo, RawPin, RawUser } from './raw-records.ts';
import type { CleanGeo, CleanPin, CleanUser } from './cleaned-records.ts';
import { storableText } from './storable-text.ts';
import { fieldIssues, pathText } from './zod-issues.ts';

/**
 * A cleaned record, or why it was rejected. The reason holds field names and fixed messages only,
 * never record values, so reports can group by it and the dead-letter topic leaks nothing.
 */
export type CleanResult<T> = { ok: true; record: T } | { ok: false; reason: string };

const NO_TITLE = 'No Title Data Available';
const NO_DESCRIPTION = 'No description available';
const NO_DESCRIPTION_STORY = 'No description available Story format';
const USER_INFO_ERROR = 'User Info Error';
const NO_TAGS = 'N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e';
const IMAGE_SRC_ERROR = 'Image src error.';
const SAVE_PREFIX = 'Local save in ';
const FIVE = '5'.charCodeAt(0);

/** The raw schema's refine message: a bad date groups under one reason whichever check catches it. */
const NOT_A_DATE_TIME = 'not a real date and time';
/** Unknown keys come from the sender: cap them so a reason stays short, and make them storable. */
const MAX_KEY_IN_REASON = 64;

type RawPinData = z.output<typeof RawPin>;

export function cleanPin(raw: unknown): CleanResult<CleanPin> {
  const parsed = RawPin.safeParse(raw);
  if (!parsed.success) return rejected(parsed.error.issues);
  const pin = parsed.data;
  const followerCount = parseFollowerCount(pin.follower_count);
  if (followerCount !== null && !Number.isSafeInteger(followerCount)) {
    return { ok: false, reason: 'follower_count: too big for an integer' };
  }
  const saveLocation = savePath(pin.save_location);
  if (saveLocation === '') return { ok: false, reason: 'save_location: no path after "Local save in "' };
  return { ok: true, record: pinRecord(pin, followerCount, saveLocation) };
}

/** The literal's key order is the column order, and one shape for every record keeps V8 fast. */
function pinRecord(pin: RawPinData, followerCount: number | null, saveLocation: string): CleanPin {
  return {
    ind: pin.index,
    unique_id: pin.unique_id,
    title: pin.title === NO_TITLE ? null : orNull(pin.title),
    description: pin.description === NO_DESCRIPTION_STORY ? null : orNull(pin.description, NO_DESCRIPTION),
    follower_count: followerCount,
    poster_name: orNull(pin.poster_name, USER_INFO_ERROR),
    tag_list: orNull(pin.tag_list, NO_TAGS),
    is_image_or_video: pin.is_image_or_video,
    image_src: orNull(pin.image_src, IMAGE_SRC_ERROR),
    save_location: saveLocation,
    category: pin.category,
  };
}

/** The empty string, like the column's placeholder, means "no value". */
function orNull(value: string, placeholder = ''): string | null {
  return value === '' || value === placeholder ? null : value;
}

/**
 * A follower count the raw schema accepted (`999`, `15M`, `1.5k`, `User Info Error`) as an integer.
 * The decimal point moves in the string, not in floating point, so `2.3M` is 2300000 exactly rather
 * than 2299999.9999999995; digits beyond the integer round half up (`1.0005k` → 1001).
 */
function parseFollowerCount(value: string): number | null {
  if (value === USER_INFO_ERROR) return null;
  const suffix = value[value.length - 1];
  const exponent = suffix === 'k' ? 3 : suffix === 'M' ? 6 : 0;
  const number = exponent === 0 ? value : value.slice(0, -1);
  const dot = number.indexOf('.');
  if (dot < 0) return Number(number) * 10 ** exponent;
  const fraction = number.slice(dot + 1);
  const shifted = Number(number.slice(0, dot) + fraction.slice(0, exponent).padEnd(exponent, '0'));
  return fraction.charCodeAt(exponent) >= FIVE ? shifted + 1 : shifted;
}

/**
 * The path alone. A value without the prefix is kept as it is: it is already a path (or a value
 * cleaned before), and dropping it to null would lose data silently. `''` means the prefix alone.
 */
function savePath(value: string): string {
  return value.startsWith(SAVE_PREFIX) ? value.slice(SAVE_PREFIX.length) : value;
}

export function cleanGeo(raw: unknown): CleanResult<CleanGeo> {
  const parsed = RawGeo.safeParse(raw);
  if (!parsed.success) return rejected(parsed.error.issues);
  const geo = parsed.data;
  const timestamp = toUtcIso(geo.timestamp);
  if (timestamp === undefined) return { ok: false, reason: `timestamp: ${NOT_A_DATE_TIME}` };
  return {
    ok: true,
    record: { ind: geo.ind, country: geo.country, coordinates: [geo.latitude, geo.longitude], timestamp },
  };
}

export function cleanUser(raw: unknown): CleanResult<CleanUser> {
  const parsed = RawUser.safeParse(raw);
  if (!parsed.success) return rejected(parsed.error.issues);
  const user = parsed.data;
  const dateJoined = toUtcIso(user.date_joined);
  if (dateJoined === undefined) return { ok: false, reason: `date_joined: ${NOT_A_DATE_TIME}` };
  return {
    ok: true,
    record: {
      ind: user.ind,
      user_name: `${user.first_name} ${user.last_name}`,
      age: user.age,
      date_joined: dateJoined,
    },
  };
}

const FIRST_INSTANT = Date.parse('0000-01-01T00:00:00.000Z');
const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * `2019-03-28T09:16:33.000Z`, or undefined when the raw schema let through an instant that has no
 * such form: an offset out of range (`+99:99`) makes an invalid Date, whose toISOString throws, and a
 * year past 9999 after the offset gives `+010000-…`, which PostgreSQL would refuse.
 */
function toUtcIso(value: string): string | undefined {
  const date = parseRawDateTime(value);
  const time = date.getTime();
  return time >= FIRST_INSTANT && time <= LAST_INSTANT ? date.toISOString() : undefined;
}

/** `field: message; …`. Zod's messages name limits and expectations, never the value received. */
function rejected(issues: readonly z.core.$ZodIssue[]): { ok: false; reason: string } {
  const reasons = fieldIssues(issues).map(({ path, message, issue }) => {
    // An unknown key comes from the sender: its name is capped and made storable.
    const field = issue.code === 'unrecognized_keys' ? capKey(String(path.at(-1))) : pathText(path);
    return `${field}: ${message}`;
  });
  return { ok: false, reason: reasons.join('; ') };
}

function capKey(key: string): string {
  return storableText(key.length > MAX_KEY_IN_REASON ? `${key.slice(0, MAX_KEY_IN_REASON)}…` : key);
}
