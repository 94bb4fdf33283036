// node:test registers tests synchronously and awaits their promises itself.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { cleanGeo, cleanPin, cleanUser, type CleanResult } from '../../domain/clean.ts';
import type { CleanPin } from '../../domain/cleaned-records.ts';
import { cleanRecord, ENTITY } from '../../domain/entities.ts';
import { byEntity, ENTITIES, type Entity } from '../../domain/wire.ts';
import { readSampleRecords } from '../support/records.ts';

const CLEAN_COLUMNS = byEntity((e) => ENTITY[e].columns.map((c) => c.name));

/** A row of the real posts (shared/data/real-sample), by its `ind`. */
function sampleRow(entity: Entity, ind: number): Record<string, unknown> {
  const row = readSampleRecords(entity).find((r) => (entity === 'pin' ? r.index : r.ind) === ind);
  assert.ok(row, `${entity} ${ind} is in the real sample`);
  return row;
}

function cleaned<T>(result: CleanResult<T>): T {
  assert.ok(result.ok, result.ok ? '' : `rejected: ${result.reason}`);
  return result.record;
}

function reasonOf<T>(result: CleanResult<T>): string {
  assert.equal(result.ok, false, 'the record is rejected');
  return result.ok ? '' : result.reason;
}

function assertPin(raw: unknown, expected: CleanPin): void {
  const record = cleaned(cleanPin(raw));
  assert.deepStrictEqual(record, expected);
  assert.deepStrictEqual(Object.keys(record), CLEAN_COLUMNS.pin);
}

const RAW_PIN = {
  index: 7,
  unique_id: '0c4e3e2a-8f6b-4d1e-9a57-3b2f1d0e9c88',
  title: 'Watercolor Snowflakes',
  description: 'Salt and watercolor on paper.',
  poster_name: 'Art Lab',
  follower_count: '12k',
  tag_list: 'Watercolor,Snowflakes,Winter Art',
  is_image_or_video: 'image',
  image_src: 'https://i.pinimg.com/originals/aa/bb/cc/aabbcc.jpg',
  downloaded: 1,
  save_location: 'Local save in /data/art',
  category: 'art',
};

/** RAW_PIN cleaned: each case below changes only what its raw record changes. */
const CLEAN_PIN: CleanPin = {
  ind: 7,
  unique_id: '0c4e3e2a-8f6b-4d1e-9a57-3b2f1d0e9c88',
  title: 'Watercolor Snowflakes',
  description: 'Salt and watercolor on paper.',
  follower_count: 12000,
  poster_name: 'Art Lab',
  tag_list: 'Watercolor,Snowflakes,Winter Art',
  is_image_or_video: 'image',
  image_src: 'https://i.pinimg.com/originals/aa/bb/cc/aabbcc.jpg',
  save_location: '/data/art',
  category: 'art',
};

const FOLLOWER_REASON = 'follower_count: expected digits with an optional k/M suffix, or "User Info Error"';

describe('cleanPin: every dirty pattern of the README', () => {
  test('a clean row keeps its values; the save_location prefix goes, index becomes ind', () => {
    assertPin(RAW_PIN, CLEAN_PIN);
  });

  test('title "No Title Data Available" → null', () => {
    assertPin({ ...RAW_PIN, title: 'No Title Data Available' }, { ...CLEAN_PIN, title: null });
  });

  test('title "" → null', () => {
    assertPin({ ...RAW_PIN, title: '' }, { ...CLEAN_PIN, title: null });
  });

  test('description "No description available Story format" → null', () => {
    assertPin(
      { ...RAW_PIN, description: 'No description available Story format' },
      { ...CLEAN_PIN, description: null },
    );
  });

  test('description "No description available" → null', () => {
    assertPin({ ...RAW_PIN, description: 'No description available' }, { ...CLEAN_PIN, description: null });
  });

  test('poster_name and follower_count "User Info Error" → null', () => {
    assertPin(
      { ...RAW_PIN, poster_name: 'User Info Error', follower_count: 'User Info Error' },
      { ...CLEAN_PIN, follower_count: null, poster_name: null },
    );
  });

  test('tag_list "N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e" → null', () => {
    assertPin(
      { ...RAW_PIN, tag_list: 'N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e' },
      { ...CLEAN_PIN, tag_list: null },
    );
  });

  test('image_src "Image src error." → null, and downloaded is dropped', () => {
    assertPin(
      { ...RAW_PIN, image_src: 'Image src error.', downloaded: 0 },
      { ...CLEAN_PIN, image_src: null },
    );
  });

  test('the empty string in every optional text column → null', () => {
    assertPin(
      { ...RAW_PIN, title: '', description: '', poster_name: '', tag_list: '', image_src: '' },
      { ...CLEAN_PIN, title: null, description: null, poster_name: null, tag_list: null, image_src: null },
    );
  });

  test('a placeholder outside its own column is data', () => {
    assertPin(
      {
        ...RAW_PIN,
        title: 'User Info Error',
        description: 'No Title Data Available',
        poster_name: 'Image src error.',
        tag_list: 'No description available',
        image_src: 'N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e',
      },
      {
        ...CLEAN_PIN,
        title: 'User Info Error',
        description: 'No Title Data Available',
        poster_name: 'Image src error.',
        tag_list: 'No description available',
        image_src: 'N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e',
      },
    );
  });

  test('a truncated description ("…" + no-break space), a story page and a digit-string index are kept', () => {
    assertPin(
      {
        ...RAW_PIN,
        index: '7',
        description: 'Salt and watercolor on paper, step by step, for kids and grown-ups alike…\u00a0',
        is_image_or_video: 'multi-video(story page format)',
      },
      {
        ...CLEAN_PIN,
        description: 'Salt and watercolor on paper, step by step, for kids and grown-ups alike…\u00a0',
        is_image_or_video: 'multi-video(story page format)',
      },
    );
  });

  test('a save_location without the prefix is kept as it is, never nulled', () => {
    assertPin({ ...RAW_PIN, save_location: '/data/art' }, CLEAN_PIN);
    assert.equal(
      cleaned(cleanPin({ ...RAW_PIN, save_location: 'local save in /x' })).save_location,
      'local save in /x',
    );
  });

  test('the prefix alone, with no path, is rejected', () => {
    assert.equal(
      reasonOf(cleanPin({ ...RAW_PIN, save_location: 'Local save in ' })),
      'save_location: no path after "Local save in "',
    );
  });
});

describe('cleanPin: follower_count', () => {
  const accepted: [unknown, number | null][] = [
    ['9', 9],
    ['99', 99],
    ['999', 999],
    ['0', 0],
    ['9k', 9_000],
    ['999k', 999_000],
    ['1M', 1_000_000],
    ['15M', 15_000_000],
    ['1.5k', 1_500],
    ['2.3M', 2_300_000],
    ['4.35M', 4_350_000],
    ['1.23456M', 1_234_560],
    ['0.001k', 1],
    ['007k', 7_000],
    ['User Info Error', null],
    // Digits beyond the integer round half up.
    ['1.0005k', 1_001],
    ['1.0004k', 1_000],
    ['1.2345678M', 1_234_568],
    ['2.5', 3],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
    // A JSON number is the count itself.
    [1500, 1_500],
    [0, 0],
  ];
  for (const [input, expected] of accepted) {
    test(`${JSON.stringify(input)} → ${expected}`, () => {
      assert.equal(cleaned(cleanPin({ ...RAW_PIN, follower_count: input })).follower_count, expected);
    });
  }

  // Only `k` and `M` are suffixes: `K` and `m` are "anything else".
  const rejected = [
    'abc',
    '10K',
    '10m',
    '-5',
    '1.5.5k',
    '',
    ' 10k',
    '10 k',
    '1,000',
    'k',
    '.5k',
    '5.k',
    'user info error',
  ];
  for (const input of rejected) {
    test(`${JSON.stringify(input)} is rejected`, () => {
      assert.equal(reasonOf(cleanPin({ ...RAW_PIN, follower_count: input })), FOLLOWER_REASON);
    });
  }

  test('a negative or fractional JSON number is rejected', () => {
    for (const input of [-5, 1.5]) {
      assert.equal(
        reasonOf(cleanPin({ ...RAW_PIN, follower_count: input })),
        'follower_count: Invalid input: expected string, received number',
      );
    }
  });

  test('a count beyond a safe integer is rejected, not rounded', () => {
    for (const input of ['9007199254740992', '9007199254741k']) {
      assert.equal(
        reasonOf(cleanPin({ ...RAW_PIN, follower_count: input })),
        'follower_count: too big for an integer',
      );
    }
    // The raw schema bounds the text itself before the number is even computed.
    for (const input of ['9'.repeat(400)]) {
      assert.equal(
        reasonOf(cleanPin({ ...RAW_PIN, follower_count: input })),
        'follower_count: Too big: expected string to have <=32 characters',
      );
    }
  });
});

describe('rejections name the field and never the value', () => {
  const RAW_GEO = {
    ind: 12,
    timestamp: '2019-03-28 09:16:33',
    latitude: -89.9796,
    longitude: -72.4059,
    country: 'Belgium',
  };
  const RAW_USER = {
    ind: 12,
    first_name: 'Holly',
    last_name: 'Baker',
    age: 21,
    date_joined: '2016-01-20 22:10:50',
  };

  test('a non-numeric ind', () => {
    const reason = 'expected an integer (a number or a string of digits)';
    assert.equal(reasonOf(cleanPin({ ...RAW_PIN, index: 'abc' })), `index: ${reason}`);
    assert.equal(reasonOf(cleanGeo({ ...RAW_GEO, ind: '12a' })), `ind: ${reason}`);
    assert.equal(reasonOf(cleanUser({ ...RAW_USER, ind: 1.5 })), 'ind: expected an integer');
  });

  test('a latitude of 200 and a longitude of -181', () => {
    assert.equal(
      reasonOf(cleanGeo({ ...RAW_GEO, latitude: 200 })),
      'latitude: Too big: expected number to be <=90',
    );
    assert.equal(
      reasonOf(cleanGeo({ ...RAW_GEO, longitude: -181 })),
      'longitude: Too small: expected number to be >=-180',
    );
  });

  test('an unparseable date', () => {
    assert.equal(
      reasonOf(cleanGeo({ ...RAW_GEO, timestamp: 'yesterday' })),
      'timestamp: expected "YYYY-MM-DD HH:MM:SS" or ISO 8601; timestamp: not a real date and time',
    );
    assert.equal(
      reasonOf(cleanUser({ ...RAW_USER, date_joined: '20/01/2016 22:10:50' })),
      'date_joined: expected "YYYY-MM-DD HH:MM:SS" or ISO 8601; date_joined: not a real date and time',
    );
  });

  test('an impossible date or time', () => {
    for (const timestamp of [
      '2019-02-31 10:00:00',
      '2019-02-29 10:00:00',
      '2019-03-28 24:00:00',
      '2019-13-01 10:00:00',
    ]) {
      assert.equal(reasonOf(cleanGeo({ ...RAW_GEO, timestamp })), 'timestamp: not a real date and time');
    }
    assert.equal(
      reasonOf(cleanUser({ ...RAW_USER, date_joined: '2019-02-31 10:00:00' })),
      'date_joined: not a real date and time',
    );
  });

  test('an offset out of range is rejected instead of throwing', () => {
    assert.equal(
      reasonOf(cleanGeo({ ...RAW_GEO, timestamp: '2019-03-28T09:16:33+99:99' })),
      'timestamp: not a real date and time',
    );
    assert.equal(
      reasonOf(cleanUser({ ...RAW_USER, date_joined: '9999-12-31T23:59:59-14:00' })),
      'date_joined: not a real date and time',
    );
  });

  test('a missing field', () => {
    const withoutTitle: Record<string, unknown> = { ...RAW_PIN };
    delete withoutTitle.title;
    assert.equal(
      reasonOf(cleanPin(withoutTitle)),
      'title: Invalid input: expected string, received undefined',
    );
    const withoutCountry: Record<string, unknown> = { ...RAW_GEO };
    delete withoutCountry.country;
    assert.equal(
      reasonOf(cleanGeo(withoutCountry)),
      'country: Invalid input: expected string, received undefined',
    );
  });

  test('an unknown extra field, one reason per key', () => {
    assert.equal(reasonOf(cleanUser({ ...RAW_USER, extra: 1 })), 'extra: unknown field');
    assert.equal(reasonOf(cleanPin({ ...RAW_PIN, a: 1, b: 2 })), 'a: unknown field; b: unknown field');
    assert.equal(
      reasonOf(cleanGeo({ ...RAW_GEO, ['x'.repeat(500)]: 1 })),
      `${'x'.repeat(64)}…: unknown field`,
    );
  });

  test('text PostgreSQL cannot store: a NUL or a lone surrogate, named by field, in every text column', () => {
    // As JSON.parse makes them from the escapes `\u0000` and `\ud800` a producer may send.
    assert.equal(reasonOf(cleanPin({ ...RAW_PIN, title: 'a\u0000b' })), 'title: contains a NUL character');
    assert.equal(
      reasonOf(cleanPin({ ...RAW_PIN, title: '\ud800' })),
      'title: is not well-formed Unicode (a lone surrogate)',
    );
    assert.equal(
      reasonOf(cleanPin({ ...RAW_PIN, description: 'ok \udfff tail' })),
      'description: is not well-formed Unicode (a lone surrogate)',
    );
    assert.equal(
      reasonOf(cleanGeo({ ...RAW_GEO, country: 'Alb\ud83dania' })),
      'country: is not well-formed Unicode (a lone surrogate)',
    );
    assert.equal(
      reasonOf(cleanUser({ ...RAW_USER, first_name: '\u0000' })),
      'first_name: contains a NUL character',
    );
    // A surrogate pair is well-formed: an emoji is data.
    assert.equal(cleaned(cleanPin({ ...RAW_PIN, title: 'Snow ❄️ 😀' })).title, 'Snow ❄️ 😀');
  });

  test('an unknown key that PostgreSQL could not store is made storable in the reason', () => {
    const reason = reasonOf(cleanGeo({ ...RAW_GEO, ['k\u0000\ud800']: 1 }));
    assert.equal(reason, 'k\ufffd\ufffd: unknown field');
    assert.ok(reason.isWellFormed());
  });

  test('a wrong type for a text field', () => {
    assert.equal(
      reasonOf(cleanPin({ ...RAW_PIN, title: 42 })),
      'title: Invalid input: expected string, received number',
    );
    assert.equal(
      reasonOf(cleanUser({ ...RAW_USER, last_name: null })),
      'last_name: Invalid input: expected string, received null',
    );
  });

  test('not an object at all', () => {
    assert.equal(reasonOf(cleanPin(null)), 'record: Invalid input: expected object, received null');
    assert.equal(reasonOf(cleanGeo('{"ind": 1}')), 'record: Invalid input: expected object, received string');
    assert.equal(reasonOf(cleanUser([])), 'record: Invalid input: expected object, received array');
  });

  test('every issue, in field order, joined with "; "', () => {
    assert.equal(
      reasonOf(cleanGeo({ ...RAW_GEO, latitude: 200.123, longitude: -181.456, country: '' })),
      'latitude: Too big: expected number to be <=90; longitude: Too small: expected number to be >=-180; ' +
        'country: must not be empty',
    );
  });

  test('no value of the record leaks into a reason', () => {
    const reason = reasonOf(cleanPin({ ...RAW_PIN, title: 'x'.repeat(1_001), follower_count: 'secret-42' }));
    assert.equal(reason, `title: Too big: expected string to have <=1000 characters; ${FOLLOWER_REASON}`);
  });
});

describe('timestamps are normalised to UTC', () => {
  const geoAt = (timestamp: string): unknown => ({
    ind: 1,
    timestamp,
    latitude: 0,
    longitude: 0,
    country: 'Belgium',
  });
  const cases: [string, string][] = [
    ['2019-03-28 09:16:33', '2019-03-28T09:16:33.000Z'],
    ['2019-03-28T09:16:33', '2019-03-28T09:16:33.000Z'],
    ['2019-03-28T09:16:33Z', '2019-03-28T09:16:33.000Z'],
    ['2019-03-28T09:16:33.250Z', '2019-03-28T09:16:33.250Z'],
    ['2019-03-28T09:16:33+02:00', '2019-03-28T07:16:33.000Z'],
    ['2019-03-28T09:16:33-05:30', '2019-03-28T14:46:33.000Z'],
    ['2019-01-01T01:00:00+02:00', '2018-12-31T23:00:00.000Z'],
    ['2020-02-29 23:59:59', '2020-02-29T23:59:59.000Z'],
  ];
  for (const [raw, iso] of cases) {
    test(`${raw} → ${iso}`, () => {
      assert.equal(cleaned(cleanGeo(geoAt(raw))).timestamp, iso);
      const user = { ind: 1, first_name: 'A', last_name: 'B', age: 30, date_joined: raw };
      assert.equal(cleaned(cleanUser(user)).date_joined, iso);
    });
  }
});

describe('geo and user', () => {
  test('geo → ind, country, coordinates [latitude, longitude], timestamp', () => {
    const record = cleaned(
      cleanGeo({
        ind: '12',
        timestamp: '2019-03-28 09:16:33',
        latitude: 0,
        longitude: -180,
        country: 'Niger',
      }),
    );
    assert.deepStrictEqual(record, {
      ind: 12,
      country: 'Niger',
      coordinates: [0, -180],
      timestamp: '2019-03-28T09:16:33.000Z',
    });
    assert.deepStrictEqual(Object.keys(record), CLEAN_COLUMNS.geo);
  });

  test('user → ind, user_name (first + one space + last), age, date_joined', () => {
    const record = cleaned(
      cleanUser({
        ind: 3,
        first_name: 'Mary Ann',
        last_name: 'Lee',
        age: '45',
        date_joined: '2017-10-01 00:00:00',
      }),
    );
    assert.deepStrictEqual(record, {
      ind: 3,
      user_name: 'Mary Ann Lee',
      age: 45,
      date_joined: '2017-10-01T00:00:00.000Z',
    });
    assert.deepStrictEqual(Object.keys(record), CLEAN_COLUMNS.user);
  });
});

describe('cleanRecord and the column lists', () => {
  test('CLEAN_COLUMNS is the order of the README and of each cleaned schema', () => {
    assert.deepStrictEqual(CLEAN_COLUMNS, {
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
    });
    for (const entity of ENTITIES) {
      assert.deepStrictEqual(Object.keys(ENTITY[entity].cleaned.shape), CLEAN_COLUMNS[entity]);
    }
  });

  test("the registry: each entity's table columns are its cleaned columns then the event position", () => {
    for (const entity of ENTITIES) {
      const { tableColumns, columns, raw, key, source } = ENTITY[entity];
      assert.deepStrictEqual(
        tableColumns.map((c) => c.name),
        [...CLEAN_COLUMNS[entity], 'event_time', 'source_partition', 'source_offset'],
      );
      for (const c of columns)
        assert.match(c.sqlType, /^(integer|bigint|text|double precision\[\]|timestamptz)$/);
      // The source table holds every raw field, in the raw record's order; the key is one of them.
      assert.deepStrictEqual(Object.keys(source.columns), Object.keys(raw.shape));
      assert.ok(Object.keys(raw.shape).includes(key), `${entity}: key ${key}`);
    }
    assert.equal(ENTITY.pin.keyOf({ index: '7528' }), 7528);
    assert.equal(ENTITY.geo.keyOf({ ind: 12 }), 12);
  });

  test('cleanRecord dispatches by entity', () => {
    assert.deepStrictEqual(cleanRecord('pin', RAW_PIN), cleanPin(RAW_PIN));
    const geo = sampleRow('geo', 12);
    assert.deepStrictEqual(cleanRecord('geo', geo), cleanGeo(geo));
    const user = sampleRow('user', 12);
    assert.deepStrictEqual(cleanRecord('user', user), cleanUser(user));
    assert.equal(reasonOf(cleanRecord('geo', RAW_PIN)).startsWith('ind: '), true);
  });
});

describe('the real sample', () => {
  for (const entity of ENTITIES) {
    test(`all 744 ${entity} rows clean, in column order, into valid cleaned records`, () => {
      const rows = readSampleRecords(entity);
      assert.equal(rows.length, 744);
      for (const row of rows) {
        const record = cleaned(cleanRecord(entity, row));
        assert.deepStrictEqual(Object.keys(record), CLEAN_COLUMNS[entity]);
        assert.equal(ENTITY[entity].cleaned.safeParse(record).success, true);
      }
    });
  }

  test('no placeholder survives in a cleaned pin', () => {
    const placeholders = new Set([
      '',
      'No Title Data Available',
      'No description available Story format',
      'No description available',
      'User Info Error',
      'N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e',
      'Image src error.',
    ]);
    for (const row of readSampleRecords('pin')) {
      const record = cleaned(cleanPin(row));
      for (const value of Object.values(record)) assert.equal(placeholders.has(String(value)), false);
      assert.equal(record.save_location, `/data/${record.category}`);
    }
  });

  test('pin 12: an everyday post, 217k followers', () => {
    assertPin(sampleRow('pin', 12), {
      ind: 12,
      unique_id: '8941490c-96bb-4efe-99e8-7163b803de5f',
      title: 'Thankful For My Fur Babies Varsity V-Neck Tee',
      description: 'Botanical Muse Laura Horn Art',
      follower_count: 217_000,
      poster_name: 'iHeartDogs.com',
      tag_list:
        'Love Painting,Artist Painting,Painting & Drawing,Art Paintings,Painting Classes,Abstract Paintings,Painting Inspiration,Art Inspo,Colour Inspiration',
      is_image_or_video: 'image',
      image_src: 'https://i.pinimg.com/originals/2a/7f/a8/2a7fa84e0c3a407dbe41751537a14b21.jpg',
      save_location: '/data/art',
      category: 'art',
    });
  });

  test('pin 525: every placeholder at once', () => {
    assertPin(sampleRow('pin', 525), {
      ind: 525,
      unique_id: '94f1dbbe-d085-400b-ad84-f5cddcac1015',
      title: null,
      description: null,
      follower_count: null,
      poster_name: null,
      tag_list: null,
      is_image_or_video: 'multi-video(story page format)',
      image_src: null,
      save_location: '/data/art',
      category: 'art',
    });
  });

  test('pin 5658: the empty title', () => {
    assertPin(sampleRow('pin', 5658), {
      ind: 5658,
      unique_id: '742e2019-6a68-44ad-a143-1b90e1fa4afa',
      title: null,
      description: null,
      follower_count: 57_000,
      poster_name: 'GenTwenty | Personal Growth, Self-Care, and Money',
      tag_list:
        'Ways To Save Money,Money Tips,Money Saving Tips,Money Hacks,Saving Ideas,Budgeting Finances,Budgeting Tips,Planning Budget,Money Saving Challenge',
      is_image_or_video: 'multi-video(story page format)',
      image_src: null,
      save_location: '/data/finance',
      category: 'finance',
    });
  });

  test('pin 3546: a truncated description kept verbatim, the tag placeholder nulled', () => {
    assertPin(sampleRow('pin', 3546), {
      ind: 3546,
      unique_id: '62c5adb1-9cd8-4c02-8294-b5f23b09979b',
      title: 'Wooden Hand Grab Board Set Educational Toys & Puzzles - Yellow',
      description:
        'Made of quality wooden material, it is smooth and durable and non-odor. Cute and colorful design, each carefully constructed piece matches up to coordinating shape on the board.…\u00a0',
      follower_count: 1_000,
      poster_name: 'GADGETOVIA',
      tag_list: null,
      is_image_or_video: 'image',
      image_src: 'https://i.pinimg.com/originals/cd/ea/61/cdea61e1ead7df106a105f041b41c182.jpg',
      save_location: '/data/education',
      category: 'education',
    });
  });

  test('pin 744 and 10653: 0 and 15M followers; 480: "No description available"', () => {
    assert.equal(cleaned(cleanPin(sampleRow('pin', 744))).follower_count, 0);
    assert.equal(cleaned(cleanPin(sampleRow('pin', 10653))).follower_count, 15_000_000);
    assertPin(sampleRow('pin', 480), {
      ind: 480,
      unique_id: 'f5dfee8f-1b62-417d-966c-8cf205418c68',
      title: 'Abstract Portrait',
      description: null,
      follower_count: 6_000,
      poster_name: 'Ovetta Jackson',
      tag_list:
        'Abstract Portrait,Portrait Art,Arte Black,African Art Paintings,Black Art Painting,Afro Art,Arte Pop,African American Art,Love Art',
      is_image_or_video: 'image',
      image_src: 'https://i.pinimg.com/originals/05/ed/11/05ed1128fe3a8784ad68900d310654d6.jpg',
      save_location: '/data/art',
      category: 'art',
    });
  });

  test('geo 12 and 5658', () => {
    assert.deepStrictEqual(cleaned(cleanGeo(sampleRow('geo', 12))), {
      ind: 12,
      country: 'Belgium',
      coordinates: [-89.9796, -72.4059],
      timestamp: '2019-03-28T09:16:33.000Z',
    });
    assert.deepStrictEqual(cleaned(cleanGeo(sampleRow('geo', 5658))), {
      ind: 5658,
      country: "Cote d'Ivoire",
      coordinates: [-74.0172, -109.979],
      timestamp: '2019-04-05T04:50:37.000Z',
    });
  });

  test('user 12 and 1104', () => {
    assert.deepStrictEqual(cleaned(cleanUser(sampleRow('user', 12))), {
      ind: 12,
      user_name: 'Holly Baker',
      age: 21,
      date_joined: '2016-01-20T22:10:50.000Z',
    });
    assert.deepStrictEqual(cleaned(cleanUser(sampleRow('user', 1104))), {
      ind: 1104,
      user_name: 'Holly Bailey',
      age: 48,
      date_joined: '2016-02-01T07:15:19.000Z',
    });
  });
});
