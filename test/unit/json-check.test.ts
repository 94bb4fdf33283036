import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isJsonBytes } from '../../activities/batch/json-check.ts';
import { seededRandom } from '../../domain/seeded-random.ts';

/** The reference: what the export used before, JSON.parse of the bytes read as Latin-1. */
function parses(bytes: Buffer): boolean {
  try {
    JSON.parse(bytes.toString('latin1'));
    return true;
  } catch {
    return false;
  }
}

const VALID = [
  '{}',
  '[]',
  ' \t\r\n{ } \n',
  '0',
  '-0',
  '12.5e-3',
  '1E+9',
  '-0.0',
  '"text"',
  '"é ✓ 😀"',
  '"\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00"',
  'true',
  'false',
  'null',
  '[1,"a",true,false,null,{"k":[]},[[[]]]]',
  '{"index":7528,"title":"No Title Data Available","follower_count":"22k","downloaded":0}',
  '{"a" : { "b" : [ 1 , 2 ] } , "c" : null}',
  '{"dup":1,"dup":2}',
];

const INVALID = [
  '',
  ' ',
  '{',
  '}',
  '[',
  '[1,]',
  '{"a":1,}',
  '{"a" 1}',
  '{a:1}',
  "{'a':1}",
  '{"a":1}}',
  '{"a":1} x',
  '[1 2]',
  '{"a":1 "b":2}',
  '01',
  '-',
  '1.',
  '.5',
  '1e',
  '1e+',
  '+1',
  'NaN',
  'Infinity',
  'tru',
  'nulls',
  'True',
  '"unterminated',
  '"bad escape \\x"',
  '"short \\u12"',
  '"bad hex \\u12g4"',
  '"raw\ncontrol"',
  '"tab\there"',
  'not json {',
  '{"a":[1,2}',
  '[{"a":1]}',
  '\u00a0{}',
];

test('isJsonBytes accepts every JSON text of the table', () => {
  for (const text of VALID) {
    const bytes = Buffer.from(text);
    assert.equal(parses(bytes), true, `reference rejects ${JSON.stringify(text)}`);
    assert.equal(isJsonBytes(bytes), true, JSON.stringify(text));
  }
});

test('isJsonBytes rejects every malformed text of the table', () => {
  for (const text of INVALID) {
    const bytes = Buffer.from(text);
    assert.equal(parses(bytes), false, `reference accepts ${JSON.stringify(text)}`);
    assert.equal(isJsonBytes(bytes), false, JSON.stringify(text));
  }
});

test('isJsonBytes allows bytes above 0x7f inside strings only, like JSON.parse of Latin-1', () => {
  assert.equal(isJsonBytes(Buffer.from([0x22, 0xc3, 0xa9, 0xff, 0x22])), true);
  assert.equal(isJsonBytes(Buffer.from([0x5b, 0xc3, 0xa9, 0x5d])), false);
  assert.equal(isJsonBytes(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d])), false); // a UTF-8 BOM
});

const ALPHABET = ' \t\n\r{}[]:,"\\/-+.0123456789eEubfnrtalsx\u00e9';

test('isJsonBytes agrees with JSON.parse on 20,000 mutated JSON texts', () => {
  const next = seededRandom(7);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const seeds = [...VALID, ...INVALID].map((t) => Buffer.from(t));
  let accepted = 0;
  for (let n = 0; n < 20_000; n++) {
    const bytes = [...pick(seeds)];
    const edits = 1 + Math.floor(next() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(next() * (bytes.length + 1));
      const byte = pick([...Buffer.from(pick([...ALPHABET]))]);
      const kind = next();
      if (kind < 0.4) bytes.splice(at, 0, byte);
      else if (kind < 0.7) bytes.splice(at, 1);
      else bytes[Math.min(at, Math.max(0, bytes.length - 1))] = byte;
    }
    const buf = Buffer.from(bytes);
    const expected = parses(buf);
    if (expected) accepted++;
    assert.equal(isJsonBytes(buf), expected, `${JSON.stringify(buf.toString('latin1'))}`);
  }
  // Both verdicts were exercised, not just one.
  assert.ok(accepted > 500 && accepted < 19_000, `accepted ${accepted}`);
});
