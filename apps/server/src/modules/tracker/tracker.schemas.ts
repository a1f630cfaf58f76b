import { type Static, Type } from '@sinclair/typebox';

/** What /track.js sends for a page view (as text/plain JSON, so browsers send no preflight). */
export const TrackBody = Type.Object(
  {
    key: Type.String({
      maxLength: 100,
      description: 'The public key (data-key of the snippet).',
      examples: ['mly_3kTz9Qw0bX1c2V4n5M6a7S8d9F0g1H2j'],
    }),
    path: Type.String({
      maxLength: 2000,
      description:
        'The page path (location.pathname). A query string or fragment is cut off: they may hold personal data.',
      examples: ['/pricing'],
    }),
    referrer: Type.Optional(
      Type.String({
        maxLength: 500,
        description:
          'The host the visitor came from (no path). Absent: direct; the site itself: internal, not recorded as a referrer.',
        examples: ['news.ycombinator.com'],
      }),
    ),
    width: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 100_000,
        description:
          'Screen width in CSS pixels: tells devices apart when the user agent does not.',
        examples: [1440],
      }),
    ),
    gpc: Type.Optional(
      Type.Boolean({
        description:
          'The visitor’s browser signals Global Privacy Control or Do Not Track. While the project honours these signals, the page view is not recorded (204).',
        examples: [true],
      }),
    ),
  },
  { additionalProperties: false },
);
export type TrackBody = Static<typeof TrackBody>;
