import { type Static, Type } from '@sinclair/typebox';
import { PRESET_UNITS } from './units.js';

export const METRIC_TYPES = ['basic', 'dual', 'average'] as const;
export const MetricType = Type.Union(
  METRIC_TYPES.map((t) => Type.Literal(t)),
  {
    description:
      'basic: positive values add up · dual: positive and negative values, each side named · average: the mean of values, zero and negatives allowed.',
  },
);

export const MetricName = Type.String({
  minLength: 1,
  maxLength: 50,
  // No control characters and no slash: the name is used in URLs (`/event/v1/{name}`).
  pattern: '^[^\\u0000-\\u001f\\u007f/]+$',
  description: '1 to 50 characters, unique per project regardless of case; no "/".',
  examples: ['signups'],
});

const SideName = Type.String({ minLength: 1, maxLength: 50 });

export const CustomUnit = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 30 }),
    symbol: Type.String({ minLength: 1, maxLength: 10 }),
  },
  { additionalProperties: false },
);

export const UnitInput = Type.Union(
  [
    Type.Union(
      Object.keys(PRESET_UNITS).map((id) => Type.Literal(id)),
      { description: 'A preset unit id; see GET /api/units.' },
    ),
    CustomUnit,
    Type.Null(),
  ],
  { description: 'A preset unit id, a custom {name, symbol}, or null for none.' },
);

export const CreateMetricBody = Type.Object(
  {
    name: MetricName,
    type: MetricType,
    unit: Type.Optional(UnitInput),
    positiveName: Type.Optional(SideName),
    negativeName: Type.Optional(SideName),
  },
  {
    additionalProperties: false,
    examples: [{ name: 'revenue', type: 'basic', unit: 'usd' }],
  },
);
export type CreateMetricBody = Static<typeof CreateMetricBody>;

export const UpdateMetricBody = Type.Object(
  {
    name: Type.Optional(MetricName),
    unit: Type.Optional(UnitInput),
    positiveName: Type.Optional(SideName),
    negativeName: Type.Optional(SideName),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    examples: [{ name: 'paid-signups', unit: { name: 'Seats', symbol: 'seats' } }],
  },
);
export type UpdateMetricBody = Static<typeof UpdateMetricBody>;

const Amount = Type.Number({
  description: 'Exact to 6 decimal places; see the matching *Exact string for very large totals.',
});

export const Metric = Type.Object({
  id: Type.String({ format: 'uuid' }),
  projectId: Type.String({ format: 'uuid' }),
  name: Type.String(),
  type: MetricType,
  unit: Type.Union([Type.Object({ name: Type.String(), symbol: Type.String() }), Type.Null()]),
  positiveName: Type.Union([Type.String(), Type.Null()]),
  negativeName: Type.Union([Type.String(), Type.Null()]),
  total: Type.Number({
    description: 'All-time total: the sum (basic, average) or positive minus negative (dual).',
  }),
  totalExact: Type.String({
    description: 'The total as an exact decimal string.',
    examples: ['10000.53'],
  }),
  positive: Type.Union([Amount, Type.Null()], { description: 'Dual only: the positive side.' }),
  negative: Type.Union([Amount, Type.Null()], {
    description: 'Dual only: the negative side, as a positive amount.',
  }),
  average: Type.Union([Type.Number(), Type.Null()], {
    description: 'Average only: total ÷ event count, or null before the first event.',
  }),
  eventCount: Type.Integer(),
  lastEventAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Metric = Static<typeof Metric>;

export const METRIC_EXAMPLE: Metric = {
  id: '3f6c2a9e-8b1d-4e7f-a2c5-9d0e1f2a3b4c',
  projectId: '6a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d',
  name: 'revenue',
  type: 'basic',
  unit: { name: 'US dollar', symbol: '$' },
  positiveName: null,
  negativeName: null,
  total: 10000.53,
  totalExact: '10000.53',
  positive: null,
  negative: null,
  average: null,
  eventCount: 412,
  lastEventAt: '2026-11-28T11:59:30.000Z',
  createdAt: '2026-11-01T09:00:00.000Z',
  updatedAt: '2026-11-01T09:00:00.000Z',
};
