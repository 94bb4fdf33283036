// A Faker randomizer that is cheap to re-seed. The generator seeds once per post (so any post can be
// generated alone), and Faker's default Mersenne Twister spends ~50 µs per seed: at a million posts
// that alone is most of the time. sfc32 reseeds in well under a microsecond.
import type { Randomizer } from '@faker-js/faker';

const TWO_POW_32 = 2 ** 32;
const WARM_UP_ROUNDS = 12;

/** sfc32 (Small Fast Counting, 128-bit state) seeded from any list of integers by a cyrb128 mix. */
export function createSeededRandomizer(seed: number | number[] = 0): Randomizer {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;

  function next32(): number {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  }

  const randomizer: Randomizer = {
    next: () => next32() / TWO_POW_32,
    seed(value) {
      [a, b, c, d] = mixSeed(typeof value === 'number' ? [value] : value);
      for (let i = 0; i < WARM_UP_ROUNDS; i++) next32();
    },
  };
  randomizer.seed(seed);
  return randomizer;
}

function mixSeed(words: readonly number[]): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < words.length * 2; i++) {
    const word = words[i >> 1]!;
    // Both halves of each word, so seeds beyond 2^32 and negative seeds stay distinct.
    const k = i & 1 ? Math.floor(word / TWO_POW_32) >>> 0 : word >>> 0;
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 | 0, h2 | 0, h3 | 0, h4 | 0];
}
