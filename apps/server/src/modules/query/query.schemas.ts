import { type Static, Type } from '@sinclair/typebox';
import { METRIC_EXAMPLE, Metric, MetricType } from '../metrics/metrics.schemas.js';
import { GRANULARITIES, PRESETS } from './time-buckets.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

/**
 * A bucket's amounts, by metric type: basic → sum, count; dual → positive, negative, net, count;
 * average → mean (null when empty), sum, count. Empty buckets are zeros.
 */
const amountFields = {
  sum: Type.Optional(Type.Number({ description: 'basic, average: the sum of the values.' })),
  positive: Type.Optional(Type.Number({ description: 'dual: the positive side.' })),
  negative: Type.Optional(
    Type.Number({ description: 'dual: the negative side, as a positive amount.' }),
  ),
  net: Type.Optional(Type.Number({ description: 'dual: positive minus negative.' })),
  mean: Type.Optional(
    Nullable(Type.Number({ description: 'average: sum ÷ count; null for an empty bucket.' })),
  ),
  count: Type.Integer({ description: 'Events in the bucket.' }),
};
export const Amounts = Type.Object(amountFields);

const Exact = Type.Record(Type.String(), Type.String(), {
  description: 'The same totals as exact decimal strings (sum, or positive/negative/net).',
});

const Bucket = Type.Object({
  start: Type.String({ format: 'date-time', description: 'Start of the bucket (UTC).' }),
  ...amountFields,
});

const MetricBrief = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  type: MetricType,
  unit: Nullable(Type.Object({ name: Type.String(), symbol: Type.String() })),
  positiveName: Nullable(Type.String()),
  negativeName: Nullable(Type.String()),
});

const Headline = Nullable(
  Type.Number({ description: 'What a chart headline shows: the sum, the net or the mean.' }),
);

export const SeriesResponse = Type.Object({
  metric: MetricBrief,
  from: Type.String({ format: 'date-time', description: 'Start of the first bucket.' }),
  to: Type.String({ format: 'date-time', description: 'End of the last bucket.' }),
  granularity: Type.Union(GRANULARITIES.map((g) => Type.Literal(g))),
  tz: Type.String(),
  filters: Type.Record(Type.String(), Type.String()),
  buckets: Type.Array(
    Type.Object({
      ...Bucket.properties,
      cumulative: Type.Union([Type.Number(), Type.Null()], {
        description:
          'Running total since the first event up to the end of the bucket (running mean for average metrics).',
      }),
    }),
  ),
  summary: Type.Object({
    value: Headline,
    total: Type.Object({ ...amountFields, exact: Exact }),
    previous: Type.Object({
      from: Type.String({ format: 'date-time' }),
      to: Type.String({ format: 'date-time' }),
      value: Headline,
      ...amountFields,
    }),
    change: Nullable(
      Type.Number({
        description: 'Change of the headline value from the previous period, in percent.',
      }),
    ),
    allTime: Type.Object({ ...amountFields, exact: Exact }),
    before: Type.Object(
      { value: Headline, ...amountFields },
      { description: 'Everything before the range: where the cumulative series starts.' },
    ),
  }),
  previousBuckets: Type.Optional(
    Type.Array(Bucket, {
      description:
        'With previous=true: the same number of buckets immediately before the range, for an overlay.',
    }),
  ),
  groupBy: Type.Optional(Type.String()),
  groups: Type.Optional(
    Type.Array(
      Type.Object({
        value: Nullable(Type.String({ description: 'null for the "other" series.' })),
        other: Type.Boolean(),
        values: Type.Optional(Type.Integer({ description: 'other: how many values it holds.' })),
        total: Amounts,
        buckets: Type.Array(Bucket),
      }),
    ),
  ),
});

export type SeriesResponse = Static<typeof SeriesResponse>;

const METRIC_BRIEF_EXAMPLE = {
  id: '3f6c2a9e-8b1d-4e7f-a2c5-9d0e1f2a3b4c',
  name: 'signups',
  type: 'basic',
  unit: null,
  positiveName: null,
  negativeName: null,
} as const;

export const SERIES_EXAMPLE: SeriesResponse = {
  metric: METRIC_BRIEF_EXAMPLE,
  from: '2026-11-25T23:00:00.000Z',
  to: '2026-11-28T23:00:00.000Z',
  granularity: 'day',
  tz: 'Europe/Paris',
  filters: {},
  buckets: [
    { start: '2026-11-25T23:00:00.000Z', sum: 1, count: 1, cumulative: 3 },
    { start: '2026-11-26T23:00:00.000Z', sum: 3, count: 2, cumulative: 6 },
    { start: '2026-11-27T23:00:00.000Z', sum: 4, count: 2, cumulative: 10 },
  ],
  summary: {
    value: 8,
    total: { sum: 8, count: 5, exact: { sum: '8' } },
    previous: {
      from: '2026-11-22T23:00:00.000Z',
      to: '2026-11-25T23:00:00.000Z',
      value: 2,
      sum: 2,
      count: 2,
    },
    change: 300,
    allTime: { sum: 10, count: 7, exact: { sum: '10' } },
    before: { value: 2, sum: 2, count: 2 },
  },
};

const Share = Nullable(
  Type.Number({ description: 'Percent of the total (of the sum; of both sides; of the count).' }),
);

export const BreakdownResponse = Type.Object(
  {
    metric: MetricBrief,
    by: Type.String(),
    from: Type.String({ format: 'date-time' }),
    to: Type.String({ format: 'date-time' }),
    tz: Type.String(),
    filters: Type.Record(Type.String(), Type.String()),
    total: Amounts,
    values: Type.Array(Type.Object({ value: Type.String(), ...amountFields, share: Share })),
    other: Nullable(
      Type.Object(
        { values: Type.Integer(), ...amountFields, share: Share },
        {
          description: 'The values past `limit`, together.',
        },
      ),
    ),
    withoutKey: Type.Object(
      { ...amountFields, share: Share },
      { description: 'Matching events that do not carry the key.' },
    ),
  },
  {
    examples: [
      {
        metric: METRIC_BRIEF_EXAMPLE,
        by: 'plan',
        from: '2026-11-22T00:00:00.000Z',
        to: '2026-11-29T00:00:00.000Z',
        tz: 'UTC',
        filters: {},
        total: { sum: 8, count: 5 },
        values: [
          { value: 'free', sum: 5, count: 2, share: 62.5 },
          { value: 'pro', sum: 3, count: 3, share: 37.5 },
        ],
        other: null,
        withoutKey: { sum: 0, count: 0, share: 0 },
      },
    ],
  },
);

export const OverviewResponse = Type.Object(
  {
    tz: Type.String(),
    metrics: Type.Array(
      Type.Object({
        ...Metric.properties,
        today: Amounts,
        yesterday: Amounts,
        yesterdayAtThisTime: Type.Object(amountFields, {
          description:
            'Yesterday up to the same time of day as now (the current minute included): what today so far is compared with.',
        }),
        change: Nullable(
          Type.Number({
            description:
              'Today so far against yesterday at this time, in percent; null when that was zero.',
          }),
        ),
        sparkline: Type.Array(
          Type.Object({ start: Type.String({ format: 'date-time' }), value: Headline }),
          { description: 'The last 15 local days, today last.' },
        ),
      }),
    ),
  },
  {
    examples: [
      {
        tz: 'UTC',
        metrics: [
          {
            ...METRIC_EXAMPLE,
            today: { sum: 4, count: 2 },
            yesterday: { sum: 5, count: 3 },
            yesterdayAtThisTime: { sum: 3, count: 2 },
            change: 33.333333333333336,
            sparkline: Array.from({ length: 15 }, (_, day) => ({
              start: new Date(Date.UTC(2026, 10, 14 + day)).toISOString(),
              value: [0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 1, 3, 4][day] ?? 0,
            })),
          },
        ],
      },
    ],
  },
);

export const FiltersResponse = Type.Object(
  { keys: Type.Array(Type.Object({ key: Type.String(), values: Type.Array(Type.String()) })) },
  { examples: [{ keys: [{ key: 'plan', values: ['free', 'pro'] }] }] },
);

const windowProperties = {
  range: Type.Optional(
    Type.String({ description: `A preset instead of from/to: ${PRESETS.join(', ')}.` }),
  ),
  from: Type.Optional(
    Type.String({
      description:
        'ISO 8601 with a zone, a local date or date-time (in `tz`), or epoch milliseconds.',
      examples: ['2026-11-01', '2026-11-01T00:00:00Z'],
    }),
  ),
  to: Type.Optional(
    Type.String({ description: 'Exclusive end; default now. Same forms as from.' }),
  ),
  tz: Type.Optional(
    Type.String({
      description: 'IANA time zone of day, week and month boundaries (default UTC).',
      examples: ['Europe/Paris'],
    }),
  ),
};

const FILTER_DOC =
  'Any number of `filter[key]=value` parameters narrow to events carrying them all.';

export const SeriesQuery = Type.Object(
  {
    ...windowProperties,
    granularity: Type.Optional(
      Type.String({ description: `auto (default), ${GRANULARITIES.join(', ')}.` }),
    ),
    groupBy: Type.Optional(
      Type.String({ description: 'A filter key: one series per value, top `top` plus "other".' }),
    ),
    top: Type.Optional(Type.String({ description: 'Groups to return, 1 to 100 (default 10).' })),
    previous: Type.Optional(
      Type.String({
        description: 'true to add `previousBuckets`, the previous period bucket by bucket.',
      }),
    ),
  },
  { additionalProperties: true, description: FILTER_DOC },
);

export const BreakdownQuery = Type.Object(
  {
    ...windowProperties,
    by: Type.String({ description: 'The filter key to break down by.' }),
    limit: Type.Optional(Type.String({ description: 'Values to list, 1 to 1000 (default 50).' })),
  },
  { additionalProperties: true, description: FILTER_DOC },
);

export const OverviewQuery = Type.Object(
  { tz: windowProperties.tz },
  { additionalProperties: true },
);
