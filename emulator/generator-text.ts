// Faker-made text for the pin fields, shaped like the real sample (lengths, formats, URL layout).
import type { Faker } from '@faker-js/faker';
import { SAMPLE_SHAPE, TARGET_RATES, type Media } from './sample-profile.ts';

const ELLIPSIS_NBSP = '\u2026\u00a0';

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** Picks a key of a { key: probability } table. */
export function pickWeighted<K extends string>(f: Faker, table: Readonly<Record<K, number>>): K {
  const entries = Object.entries(table) as [K, number][];
  let u = f.number.float() * entries.reduce((sum, [, p]) => sum + p, 0);
  for (const [key, p] of entries) {
    u -= p;
    if (u < 0) return key;
  }
  return entries[entries.length - 1]![0];
}

/**
 * Titles, description sentences and tags made once per seed and combined per post. Faker's
 * template-based generators cost 10–20 µs a call and a post needs a dozen: at a million posts
 * that alone took over a minute. Posts still differ: each draws its own picks and combinations.
 */
export interface TextPools {
  titles: string[];
  sentences: string[];
  tags: string[];
}

const POOL_SIZE = 4096;

function makeTitle(f: Faker): string {
  switch (f.number.int(4)) {
    case 0:
      return f.book.title();
    case 1:
      return capitalise(f.company.catchPhrase());
    case 2:
      return f.music.songName();
    case 3:
      return f.food.dish();
    default:
      return f.commerce.productName();
  }
}

function makeSentence(f: Faker): string {
  switch (f.number.int(4)) {
    case 0:
      return f.commerce.productDescription();
    case 1:
      return f.food.description();
    case 2:
      return f.hacker.phrase();
    case 3:
      return `${capitalise(f.company.buzzPhrase())}.`;
    default:
      return `${capitalise(f.company.catchPhrase())}.`;
  }
}

function makeTag(f: Faker): string {
  const first = f.datatype.boolean() ? f.word.adjective() : f.word.noun();
  return `${capitalise(first)} ${capitalise(f.word.noun())}`;
}

/** `f` must be seeded: the same seed gives the same pools. */
export function buildTextPools(f: Faker): TextPools {
  const pool = (make: (f: Faker) => string) => Array.from({ length: POOL_SIZE }, () => make(f));
  return { titles: pool(makeTitle), sentences: pool(makeSentence), tags: pool(makeTag) };
}

export function title(f: Faker, pools: TextPools): string {
  return f.helpers.arrayElement(pools.titles);
}

/** A truncated one is cut where the scraper cut them; a whole one stays shorter than that. */
export function description(f: Faker, pools: TextPools, truncated: boolean): string {
  const sentence = () => f.helpers.arrayElement(pools.sentences);
  const limit = SAMPLE_SHAPE.truncateAt;
  let text = sentence();
  if (truncated) {
    while (text.length < limit) text += ` ${sentence()}`;
    return text.slice(0, limit).trimEnd() + ELLIPSIS_NBSP;
  }
  const target = f.number.int({ min: 20, max: limit - 1 });
  for (let next = sentence(); text.length + next.length < target; next = sentence()) {
    text += ` ${next}`;
  }
  if (text.length < limit) return text;
  const cut = text.lastIndexOf(' ', limit - 1);
  return text.slice(0, cut > 0 ? cut : limit - 1);
}

export function tagList(f: Faker, pools: TextPools): string {
  return Array.from({ length: SAMPLE_SHAPE.tagsPerPost }, () => f.helpers.arrayElement(pools.tags)).join(',');
}

/** Pinterest's layout: /originals/ab/cd/ef/<32 hex>.<ext>, video thumbnails under /videos/thumbnails. */
export function imageSrc(f: Faker, media: Media): string {
  const hash = Array.from({ length: 4 }, () =>
    f.number.int({ max: 0xffffffff }).toString(16).padStart(8, '0'),
  ).join('');
  const dirs = `${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash.slice(4, 6)}`;
  if (media !== 'image')
    return `https://i.pinimg.com/videos/thumbnails/originals/${dirs}/${hash}.0000001.jpg`;
  return `https://i.pinimg.com/originals/${dirs}/${hash}.${pickWeighted(f, TARGET_RATES.imageExtensions)}`;
}

export function posterName(f: Faker): string {
  const u = f.number.float();
  if (u < 0.6) return f.company.name();
  if (u < 0.8) return `${capitalise(f.word.adjective())} ${capitalise(f.word.noun())}`;
  return u < 0.9 ? f.person.fullName() : f.internet.domainName();
}

/** `9`, `99`, `999`, `9k`…`999k`, `1M`…`15M`: thousands and millions spread log-uniformly. */
export function followerCount(f: Faker): string {
  const u = f.number.float();
  switch (pickWeighted(f, TARGET_RATES.followerFormats)) {
    case 'units':
      return String(Math.floor(u * 10));
    case 'tens':
      return String(10 + Math.floor(u * 90));
    case 'hundreds':
      return String(100 + Math.floor(u * 900));
    case 'k':
      return `${Math.floor(1000 ** u)}k`;
    case 'M':
      return `${Math.floor(16 ** u)}M`;
  }
}
