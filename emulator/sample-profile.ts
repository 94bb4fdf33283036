// What the generator imitates, measured on the 744 real posts of shared/data/real-sample (the
// original emulator's raw rows). Counts are kept as "n / 744" so each figure traces to the sample.
const SAMPLE_POSTS = 744;

/**
 * Target rates per post, measured on the real sample. Placeholders travel together there and the
 * generator keeps that: the story-format description is exactly the multi-video posts; image-src
 * errors (with downloaded = 0) are a third of those; the User Info Error posts (poster_name and
 * follower_count) are failed story scrapes that also carry the title and tag placeholders.
 * Integers are never sent as text in the sample, so the generator never does either.
 */
export const TARGET_RATES = {
  media: {
    image: 678 / SAMPLE_POSTS,
    video: 18 / SAMPLE_POSTS,
    'multi-video(story page format)': 48 / SAMPLE_POSTS,
  },
  descriptionStoryFormat: 48 / SAMPLE_POSTS,
  descriptionUnavailable: 17 / SAMPLE_POSTS,
  descriptionTruncated: 278 / SAMPLE_POSTS,
  imageSrcError: 16 / SAMPLE_POSTS,
  userInfoError: 5 / SAMPLE_POSTS,
  titleUnavailable: 5 / SAMPLE_POSTS,
  titleEmpty: 1 / SAMPLE_POSTS,
  tagsUnavailable: 12 / SAMPLE_POSTS,
  /** among the 739 posters' counts that are not User Info Error */
  followerFormats: { units: 25 / 739, tens: 33 / 739, hundreds: 75 / 739, k: 548 / 739, M: 58 / 739 },
  /** file types of the real (non-video) images; video thumbnails are always jpg */
  imageExtensions: { jpg: 568 / 674, png: 106 / 674, webp: 4 / 674 },
} as const;

export type Media = keyof typeof TARGET_RATES.media;

/**
 * The shape of the original data, beyond its dirt. Its values crowd toward the low end of each
 * range — the first countries alphabetically, age 20, the earliest join dates, latitude near -90,
 * longitude near -180 — and a few posters publish most posts. A fraction drawn as u^k, u uniform,
 * reproduces each: k fitted on the sample lies between 2.05 and 2.2 for every one of them.
 * A poster is one user with one location (as in the sample, where poster, user and country map 1:1).
 */
export const SAMPLE_SHAPE = {
  lowEndSkew: 2.15,
  /** distinct posters per post: 0.45 with the same skew gives the sample's 616 posters in 744 posts */
  postersPerPost: 0.45,
  ageRange: [20, 60],
  dateJoined: { from: Date.UTC(2015, 9, 20), to: Date.UTC(2017, 9, 20) },
  postTimestamp: { from: Date.UTC(2017, 9, 20), to: Date.UTC(2022, 9, 20) },
  tagsPerPost: 9,
  /** the scraper cut long descriptions at this many characters and appended "…" and a no-break space */
  truncateAt: 177,
  /** latitude and longitude have six significant digits (the original stored MySQL floats) */
  coordinateDigits: 6,
} as const;

export const CATEGORIES = [
  'art',
  'beauty',
  'christmas',
  'diy-and-crafts',
  'education',
  'event-planning',
  'finance',
  'home-decor',
  'mens-fashion',
  'quotes',
  'tattoos',
  'travel',
  'vehicles',
] as const;

/** The placeholders of the real data set, exactly as written (shared/data/README.md). */
export const PLACEHOLDERS = {
  titleUnavailable: 'No Title Data Available',
  descriptionStoryFormat: 'No description available Story format',
  descriptionUnavailable: 'No description available',
  userInfoError: 'User Info Error',
  tagsUnavailable: 'N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e',
  imageSrcError: 'Image src error.',
  saveLocationPrefix: 'Local save in ',
} as const;
