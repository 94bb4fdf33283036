// The source data set: deterministic, and each post computed from its own seed, so any post (or any
// chunk of a million) can be generated alone and a full run equals the same posts made one by one.
import { base, en, Faker } from '@faker-js/faker';
import { generatePoster, INFO_ERROR_POSTER, lowEnd, type Poster } from './generator-poster.ts';
import * as text from './generator-text.ts';
import { CATEGORIES, PLACEHOLDERS, SAMPLE_SHAPE, TARGET_RATES, type Media } from './sample-profile.ts';
import { createSeededRandomizer } from './seeded-random.ts';
import { formatRawDateTime, type SourcePin, type SourcePost } from './source-records.ts';

export const DEFAULT_SEED = 1;
/** The original data set's size: `ind` 0..11152. */
export const ORIGINAL_POSTS = 11_153;
/** The raw schemas accept an `ind` up to 100,000,000. */
export const MAX_POSTS = 100_000_000;

export interface GeneratorOptions {
  seed: number;
  posts: number;
}

export const DEFAULT_GENERATOR_OPTIONS: Readonly<GeneratorOptions> = {
  seed: DEFAULT_SEED,
  posts: ORIGINAL_POSTS,
};

export interface PostGenerator {
  readonly options: Readonly<GeneratorOptions>;
  post(ind: number): SourcePost;
  /** posts from..to-1 in `ind` order */
  posts(from?: number, to?: number): Generator<SourcePost>;
}

// Separate random streams of one seed: posts, posters and text pools never share a sequence.
const POST_STREAM = 1;
const POSTER_STREAM = 2;
const TEXT_STREAM = 3;
// Heavy posters recur constantly; a bounded cache keeps a million-post run's memory flat.
const POSTER_CACHE_LIMIT = 100_000;

const STORY: Media = 'multi-video(story page format)';
const R = TARGET_RATES;
// Conditional chances that yield the marginal TARGET_RATES while keeping the placeholders'
// co-occurrence seen in the sample (see TARGET_RATES).
const CHANCE = {
  imageErrorInStory: R.imageSrcError / R.media[STORY],
  scrapeFailureInImageError: R.userInfoError / R.imageSrcError,
  emptyTitleInOtherImageError: R.titleEmpty / (R.imageSrcError - R.userInfoError),
  unavailableDescriptionInImage: R.descriptionUnavailable / R.media.image,
  truncatedInTextDescription:
    R.descriptionTruncated / (1 - R.descriptionStoryFormat - R.descriptionUnavailable),
  tagsUnavailableElsewhere: (R.tagsUnavailable - R.userInfoError) / (1 - R.userInfoError),
};

interface PostShape {
  media: Media;
  imageError: boolean;
  /** a failed story scrape: User Info Error poster, no title, no tags */
  scrapeFailure: boolean;
  emptyTitle: boolean;
  description: 'text' | 'truncated' | 'story' | 'unavailable';
  tagsUnavailable: boolean;
}

function drawShape(f: Faker): PostShape {
  const chance = (p: number) => f.number.float() < p;
  const media = text.pickWeighted(f, R.media);
  const imageError = media === STORY && chance(CHANCE.imageErrorInStory);
  const scrapeFailure = imageError && chance(CHANCE.scrapeFailureInImageError);
  const emptyTitle = imageError && !scrapeFailure && chance(CHANCE.emptyTitleInOtherImageError);
  let description: PostShape['description'] = 'story';
  if (media !== STORY) {
    if (media === 'image' && chance(CHANCE.unavailableDescriptionInImage)) description = 'unavailable';
    else description = chance(CHANCE.truncatedInTextDescription) ? 'truncated' : 'text';
  }
  const tagsUnavailable = scrapeFailure || chance(CHANCE.tagsUnavailableElsewhere);
  return { media, imageError, scrapeFailure, emptyTitle, description, tagsUnavailable };
}

function pinTitle(f: Faker, pools: text.TextPools, shape: PostShape): string {
  if (shape.scrapeFailure) return PLACEHOLDERS.titleUnavailable;
  return shape.emptyTitle ? '' : text.title(f, pools);
}

function pinDescription(f: Faker, pools: text.TextPools, shape: PostShape): string {
  switch (shape.description) {
    case 'story':
      return PLACEHOLDERS.descriptionStoryFormat;
    case 'unavailable':
      return PLACEHOLDERS.descriptionUnavailable;
    default:
      return text.description(f, pools, shape.description === 'truncated');
  }
}

interface PinContext {
  ind: number;
  shape: PostShape;
  poster: Poster;
  category: string;
  pools: text.TextPools;
}

function buildPin(f: Faker, { ind, shape, poster, category, pools }: PinContext): SourcePin {
  return {
    index: ind,
    unique_id: f.string.uuid(),
    title: pinTitle(f, pools, shape),
    description: pinDescription(f, pools, shape),
    poster_name: poster.poster_name,
    follower_count: poster.follower_count,
    tag_list: shape.tagsUnavailable ? PLACEHOLDERS.tagsUnavailable : text.tagList(f, pools),
    is_image_or_video: shape.media,
    image_src: shape.imageError ? PLACEHOLDERS.imageSrcError : text.imageSrc(f, shape.media),
    downloaded: shape.imageError ? 0 : 1,
    save_location: `${PLACEHOLDERS.saveLocationPrefix}/data/${category}`,
    category,
  };
}

function postTimestamp(f: Faker): string {
  const { from, to } = SAMPLE_SHAPE.postTimestamp;
  return formatRawDateTime(new Date(from + f.number.int({ max: (to - from) / 1000 - 1 }) * 1000));
}

function newFaker(seed?: number[]): Faker {
  return new Faker({ locale: [en, base], randomizer: createSeededRandomizer(seed) });
}

function checkOptions({ seed, posts }: GeneratorOptions): void {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!Number.isInteger(posts) || posts < 1 || posts > MAX_POSTS) {
    throw new RangeError(`posts must be an integer from 1 to ${MAX_POSTS}, got ${posts}`);
  }
}

export function createGenerator(options: GeneratorOptions = DEFAULT_GENERATOR_OPTIONS): PostGenerator {
  checkOptions(options);
  const { seed, posts } = options;
  const postFaker = newFaker();
  const posterFaker = newFaker();
  const pools = text.buildTextPools(newFaker([seed, TEXT_STREAM]));
  const posterCount = Math.max(2, Math.round(posts * SAMPLE_SHAPE.postersPerPost));
  const posterCache = new Map<number, Poster>();

  function poster(index: number): Poster {
    let found = posterCache.get(index);
    if (!found) {
      if (posterCache.size >= POSTER_CACHE_LIMIT) posterCache.clear();
      posterFaker.seed([seed, POSTER_STREAM, index]);
      found = generatePoster(posterFaker, index);
      posterCache.set(index, found);
    }
    return found;
  }

  function post(ind: number): SourcePost {
    if (!Number.isInteger(ind) || ind < 0 || ind >= posts) {
      throw new RangeError(`ind must be an integer from 0 to ${posts - 1}, got ${ind}`);
    }
    const f = postFaker;
    f.seed([seed, POST_STREAM, ind]);
    const shape = drawShape(f);
    const posterIndex = shape.scrapeFailure
      ? INFO_ERROR_POSTER
      : 1 + Math.floor((posterCount - 1) * lowEnd(f));
    const p = poster(posterIndex);
    // The original's posts are ordered by category: equal blocks of `ind`, alphabetically.
    const category = CATEGORIES[Math.floor((ind * CATEGORIES.length) / posts)]!;
    const pin = buildPin(f, { ind, shape, poster: p, category, pools });
    const { first_name, last_name, age, date_joined, latitude, longitude, country } = p;
    return {
      pin,
      geo: { ind, timestamp: postTimestamp(f), latitude, longitude, country },
      user: { ind, first_name, last_name, age, date_joined },
    };
  }

  function* range(from = 0, to = posts): Generator<SourcePost> {
    for (let ind = from; ind < to; ind++) yield post(ind);
  }

  return { options: { seed, posts }, post, posts: range };
}

/**
 * One post alone: equal to the same `ind` of a full run with the same options. Each call builds a
 * generator (its text pools take ~0.1 s): for many posts, keep one from createGenerator.
 */
export function generatePost(ind: number, options: GeneratorOptions = DEFAULT_GENERATOR_OPTIONS): SourcePost {
  return createGenerator(options).post(ind);
}

export function generatePosts(options: GeneratorOptions = DEFAULT_GENERATOR_OPTIONS): Generator<SourcePost> {
  return createGenerator(options).posts();
}
