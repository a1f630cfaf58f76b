import type { MetricType, Unit } from '../../api/types';

export const METRIC_TYPE_INFO: Record<
  MetricType,
  { label: string; color: string; description: string; example: string }
> = {
  basic: {
    label: 'Basic',
    color: 'indigo',
    description: 'Positive values that add up to a total.',
    example: 'Sign-ups, page views, orders',
  },
  dual: {
    label: 'Dual',
    color: 'teal',
    description: 'Positive and negative values, each side named; the total is the difference.',
    example: 'Revenue vs refunds, users in and out',
  },
  average: {
    label: 'Average',
    color: 'orange',
    description: 'The mean of the values sent; zero and negatives are allowed.',
    example: 'Response time, basket size, rating',
  },
};

/** "US dollar ($)", or "No unit". */
export function unitLabel(unit: Unit | null | undefined): string {
  if (unit === null || unit === undefined) return 'No unit';
  return unit.name === unit.symbol ? unit.name : `${unit.name} (${unit.symbol})`;
}

/** A first value that the metric's type accepts, for snippets and forms. */
export function sampleValue(type: MetricType): number {
  return type === 'average' ? 42 : 1;
}
