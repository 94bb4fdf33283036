import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../emulator/errors.ts';
import { parseEmulatorOptions } from '../../emulator/options.ts';

test('defaults: loops left to the run (one, or what --rate needs), the original sleep, no limit', () => {
  assert.deepEqual(parseEmulatorOptions([]), { json: false, help: false });
});

test('every option is parsed', () => {
  const options = parseEmulatorOptions([
    '--rate',
    '150.5',
    '--duration=30',
    '--count',
    '1000',
    '--concurrency',
    '8',
    '--seed',
    '42',
    '--api',
    'http://api.local:8000',
    '--json',
  ]);
  assert.deepEqual(options, {
    rate: 150.5,
    duration: 30,
    count: 1000,
    concurrency: 8,
    seed: 42,
    api: 'http://api.local:8000',
    json: true,
    help: false,
  });
  assert.equal(parseEmulatorOptions(['-h']).help, true);
});

test('a bad value is refused with the option named', () => {
  const cases: [string[], RegExp][] = [
    [['--rate', '0'], /^--rate: /],
    [['--rate', 'fast'], /^--rate: /],
    [['--rate', ''], /^--rate: /],
    [['--duration=-5'], /^--duration: /],
    [['--duration', '-5'], /'--duration' argument is ambiguous/],
    [['--count', '2.5'], /^--count: /],
    [['--concurrency', '0'], /^--concurrency: /],
    [['--concurrency', '100000'], /^--concurrency: expected at most/],
    [['--seed=-1'], /^--seed: /],
    [['--api', 'not a url'], /^--api: /],
    [['--api', 'ftp://host'], /^--api: /],
  ];
  for (const [argv, message] of cases) {
    assert.throws(
      () => parseEmulatorOptions(argv),
      (err: unknown) => {
        assert.ok(err instanceof UsageError, argv.join(' '));
        assert.match(err.message, message, argv.join(' '));
        return true;
      },
    );
  }
});

test('unknown options, missing values and positionals are refused', () => {
  assert.throws(() => parseEmulatorOptions(['--speed', '3']), /Unknown option '--speed'/);
  assert.throws(() => parseEmulatorOptions(['--rate']), /--rate/);
  assert.throws(() => parseEmulatorOptions(['extra']), UsageError);
});
