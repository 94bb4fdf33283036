// PostgreSQL types of the cleaned columns, for the tables both layers write (pure: names only).
import type { CleanRecords } from './cleaned-records.ts';
import type { Entity } from './wire.ts';

export const CLEAN_SQL_TYPES: { [E in Entity]: Record<keyof CleanRecords[E], string> } = {
  pin: {
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
  geo: { ind: 'integer', country: 'text', coordinates: 'double precision[]', timestamp: 'timestamptz' },
  user: { ind: 'integer', user_name: 'text', age: 'integer', date_joined: 'timestamptz' },
};
