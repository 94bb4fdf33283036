// The entity registry: everything the pipeline knows of an entity, in one entry each. The ingest API's
// validation and Kafka key, the cleaning, the cleaned lines, both layers' SQL, the serving merge and
// the emulator's source table all derive from it. Adding an entity is an entry here, a migration
// creating its tables and a view that uses it (README, "Adding an entity").
//
// Workflows see entities by name only (domain/wire.ts): this module holds schemas and cleaning code,
// which stay out of the workflow sandbox.
import type { z } from 'zod';
import { cleanGeo, cleanPin, cleanUser, type CleanResult } from './clean.ts';
import { CleanGeo, CleanPin, CleanUser } from './cleaned-records.ts';
import { RawGeo, RawPin, RawUser } from './raw-records.ts';
import { byEntity, type Entity } from './wire.ts';

/** PostgreSQL types of the cleaned columns (the tables of both layers). */
export type CleanSqlType = 'integer' | 'bigint' | 'text' | 'double precision[]' | 'timestamptz';
/** PostgreSQL types of the source data set's columns, as the original's MySQL tables had them. */
export type SourceSqlType = 'integer' | 'text' | 'double precision' | 'timestamp';

export interface Column<Name extends string = string, Type extends string = CleanSqlType> {
  name: Name;
  sqlType: Type;
}

interface Definition<Raw extends z.ZodObject, Clean extends z.ZodObject> {
  /** What a sender may post (domain/raw-records.ts): the API validates with it, the cleaning parses with it. */
  raw: Raw;
  /** The raw field naming the post: the Kafka key, so one post's records share a partition and keep their order. */
  key: keyof z.input<Raw> & string;
  /** The one cleaning of the entity (domain/clean.ts), shared by both layers. */
  clean: (raw: unknown) => CleanResult<z.infer<Clean>>;
  /** The cleaned record (domain/cleaned-records.ts); its field order is the column order everywhere. */
  cleaned: Clean;
  /** The PostgreSQL type of each cleaned column. */
  sqlTypes: { readonly [K in keyof z.infer<Clean>]: CleanSqlType };
  /** The emulator's source table and its columns, in the raw record's field order. */
  source: { table: string; columns: { readonly [K in keyof z.input<Raw>]: SourceSqlType } };
  /** The table of the entity in the batch schema and in the speed schema (`batch.pin`, `speed.pin`). */
  table: string;
}

const DEFINITIONS = {
  pin: {
    raw: RawPin,
    key: 'index',
    clean: cleanPin,
    cleaned: CleanPin,
    sqlTypes: {
      ind: 'integer',
      unique_id: 'text',
      title: 'text',
      description: 'text',
      follower_count: 'bigint',
      poster_name: 'text',
      tag_list: 'text',
      is_image_or_video: 'text',
      image_src: 'text',
      save_location: 'text',
      category: 'text',
    },
    source: {
      table: 'source.pinterest_data',
      columns: {
        index: 'integer',
        unique_id: 'text',
        title: 'text',
        description: 'text',
        poster_name: 'text',
        follower_count: 'text',
        tag_list: 'text',
        is_image_or_video: 'text',
        image_src: 'text',
        downloaded: 'integer',
        save_location: 'text',
        category: 'text',
      },
    },
    table: 'pin',
  } satisfies Definition<typeof RawPin, typeof CleanPin>,
  geo: {
    raw: RawGeo,
    key: 'ind',
    clean: cleanGeo,
    cleaned: CleanGeo,
    sqlTypes: {
      ind: 'integer',
      country: 'text',
      coordinates: 'double precision[]',
      timestamp: 'timestamptz',
    },
    source: {
      table: 'source.geolocation_data',
      columns: {
        ind: 'integer',
        timestamp: 'timestamp',
        latitude: 'double precision',
        longitude: 'double precision',
        country: 'text',
      },
    },
    table: 'geo',
  } satisfies Definition<typeof RawGeo, typeof CleanGeo>,
  user: {
    raw: RawUser,
    key: 'ind',
    clean: cleanUser,
    cleaned: CleanUser,
    sqlTypes: { ind: 'integer', user_name: 'text', age: 'integer', date_joined: 'timestamptz' },
    source: {
      table: 'source.user_data',
      columns: {
        ind: 'integer',
        first_name: 'text',
        last_name: 'text',
        age: 'integer',
        date_joined: 'timestamp',
      },
    },
    table: 'user',
  } satisfies Definition<typeof RawUser, typeof CleanUser>,
} as const;

type Definitions = typeof DEFINITIONS;

/** The cleaned record of each entity. */
export type CleanRecords = { [E in Entity]: z.infer<Definitions[E]['cleaned']> };
export type CleanRecord<E extends Entity = Entity> = CleanRecords[E];
/** The raw record of each entity, as a sender writes it. */
export type RawRecords = { [E in Entity]: z.input<Definitions[E]['raw']> };

/** Where a cleaned event came from: the columns both layers' tables add after the cleaned ones. */
export const POSITION_COLUMNS = [
  { name: 'event_time', sqlType: 'timestamptz' },
  { name: 'source_partition', sqlType: 'integer' },
  { name: 'source_offset', sqlType: 'bigint' },
] as const satisfies readonly Column<string, CleanSqlType>[];

export type EntitySpec<E extends Entity = Entity> = Definitions[E] & EntityDerived<E>;

interface EntityDerived<E extends Entity> {
  entity: E;
  /** The cleaned columns in order, with their PostgreSQL types: cleaned lines and both layers' tables. */
  columns: readonly Column<keyof CleanRecords[E] & string>[];
  /** The columns of the entity's table in either layer: the cleaned ones, then the event's position. */
  tableColumns: readonly Column[];
  /** The Kafka key of a raw record (its post's `ind`), as the cleaning will read it. */
  keyOf(record: object): number;
}

function spec<E extends Entity>(entity: E): EntitySpec<E> {
  const d: Definitions[E] = DEFINITIONS[entity];
  const names = Object.keys(d.cleaned.shape) as (keyof CleanRecords[E] & string)[];
  const types = d.sqlTypes as Record<string, CleanSqlType>;
  const columns = names.map((name) => ({ name, sqlType: types[name] as CleanSqlType }));
  const key = d.key;
  return {
    ...d,
    entity,
    columns,
    tableColumns: [...columns, ...POSITION_COLUMNS],
    keyOf: (record) => Number((record as Record<string, unknown>)[key]),
  };
}

/** The registry, by entity name: `ENTITY.pin.columns`, `ENTITY[entity].raw`. */
export const ENTITY: { readonly [E in Entity]: EntitySpec<E> } = byEntity(spec) as {
  readonly [E in Entity]: EntitySpec<E>;
};

/** Cleans one raw record of the entity (the dispatch both layers use). */
export function cleanRecord<E extends Entity>(entity: E, raw: unknown): CleanResult<CleanRecord<E>> {
  const clean: (raw: unknown) => CleanResult<CleanRecords[Entity]> = ENTITY[entity].clean;
  return clean(raw) as CleanResult<CleanRecord<E>>;
}
