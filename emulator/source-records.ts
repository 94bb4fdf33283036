// The source data set's rows, exactly as the original's MySQL tables held them and as the emulator
// posts them: one pin, one geo and one user row per post, joined by `index` / `ind`.
import { ENTITY, type SourceSqlType } from '../domain/entities.ts';
import { byEntity, type Entity } from '../domain/wire.ts';

export interface SourcePin {
  index: number;
  unique_id: string;
  title: string;
  description: string;
  poster_name: string;
  follower_count: string;
  tag_list: string;
  is_image_or_video: string;
  image_src: string;
  downloaded: number;
  save_location: string;
  category: string;
}

export interface SourceGeo {
  ind: number;
  /** `YYYY-MM-DD HH:MM:SS`, UTC */
  timestamp: string;
  latitude: number;
  longitude: number;
  country: string;
}

export interface SourceUser {
  ind: number;
  first_name: string;
  last_name: string;
  age: number;
  /** `YYYY-MM-DD HH:MM:SS`, UTC */
  date_joined: string;
}

export interface SourcePost {
  pin: SourcePin;
  geo: SourceGeo;
  user: SourceUser;
}

export type SourceRecord = SourcePost[Entity];

interface SourceTable<Row> {
  /** schema-qualified, the original's table names */
  table: string;
  key: keyof Row & string;
  /** every column in the raw record's field order, with its PostgreSQL type */
  columns: { [K in keyof Row & string]: SourceSqlType };
}

/** The source tables, as the entity registry defines them. */
export const SOURCE_TABLES = byEntity((e) => ({ ...ENTITY[e].source, key: ENTITY[e].key })) as {
  [E in Entity]: SourceTable<SourcePost[E]>;
};

/** `YYYY-MM-DD HH:MM:SS` in UTC, the original's way of writing a date-time. */
export function formatRawDateTime(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}
