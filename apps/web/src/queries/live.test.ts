import { describe, expect, it } from 'vitest';
import { isAffected } from './live';
import { queryKeys } from './query-keys';

const changed = new Set(['m1']);

describe('isAffected', () => {
  it('refreshes the overview, the list and the changed metric', () => {
    expect(isAffected(queryKeys.overview('p', 'UTC'), 'p', changed)).toBe(true);
    expect(isAffected(queryKeys.metrics('p'), 'p', changed)).toBe(true);
    expect(isAffected(queryKeys.metric('p', 'm1'), 'p', changed)).toBe(true);
    expect(isAffected(queryKeys.filters('p', 'm1'), 'p', changed)).toBe(true);
  });

  it('refreshes series and breakdowns only while their window includes now', () => {
    expect(
      isAffected(queryKeys.series('p', 'm1', { range: 'today', tz: 'UTC' }), 'p', changed),
    ).toBe(true);
    expect(
      isAffected(queryKeys.series('p', 'm1', { range: 'yesterday', tz: 'UTC' }), 'p', changed),
    ).toBe(false);
    expect(
      isAffected(
        queryKeys.breakdown('p', 'm1', {
          from: '2020-01-01',
          to: '2020-02-01',
          tz: 'UTC',
          by: 'x',
        }),
        'p',
        changed,
      ),
    ).toBe(false);
  });

  it('leaves other metrics, other projects and other resources alone', () => {
    expect(isAffected(queryKeys.series('p', 'm2', { range: 'today' }), 'p', changed)).toBe(false);
    expect(isAffected(queryKeys.overview('q', 'UTC'), 'p', changed)).toBe(false);
    expect(isAffected(queryKeys.keys('p'), 'p', changed)).toBe(false);
  });
});
