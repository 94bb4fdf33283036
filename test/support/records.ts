// Raw records for tests: the real sample (test/fixtures/real-sample) and dirty variants.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RawGeo, RawPin, RawUser } from '../../domain/raw-records.ts';
import type { Entity } from '../../domain/wire.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'real-sample');

export interface SampleRows {
  pin: RawPin[];
  geo: RawGeo[];
  user: RawUser[];
}

/** The real sample's records of one entity, one raw record a line of `<entity>.jsonl`, in file order. */
export function readSampleRecords<T = Record<string, unknown>>(entity: Entity): T[] {
  return readFileSync(join(FIXTURES, `${entity}.jsonl`), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

export function readSample(): SampleRows {
  return {
    pin: readSampleRecords<RawPin>('pin'),
    geo: readSampleRecords<RawGeo>('geo'),
    user: readSampleRecords<RawUser>('user'),
  };
}

export function pin(overrides: Partial<Record<keyof RawPin, unknown>> = {}): Record<string, unknown> {
  return {
    index: 7528,
    unique_id: 'fbe53c66-3442-4773-b19e-d3ec6f54dddf',
    title: 'No Title Data Available',
    description: 'No description available Story format',
    poster_name: 'User Info Error',
    follower_count: 'User Info Error',
    tag_list: 'N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e',
    is_image_or_video: 'multi-video(story page format)',
    image_src: 'Image src error.',
    downloaded: 0,
    save_location: 'Local save in /data/mens-fashion',
    category: 'mens-fashion',
    ...overrides,
  };
}

export function geo(overrides: Partial<Record<keyof RawGeo, unknown>> = {}): Record<string, unknown> {
  return {
    ind: 7528,
    timestamp: '2020-08-28 03:52:47',
    latitude: -89.9787,
    longitude: -173.293,
    country: 'Antarctica (the territory South of 60 deg S)',
    ...overrides,
  };
}

export function user(overrides: Partial<Record<keyof RawUser, unknown>> = {}): Record<string, unknown> {
  return {
    ind: 7528,
    first_name: 'Abigail',
    last_name: 'Ali',
    age: 20,
    date_joined: '2015-10-24 11:23:51',
    ...overrides,
  };
}
