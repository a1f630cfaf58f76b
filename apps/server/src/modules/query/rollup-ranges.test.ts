import { describe, expect, it } from 'vitest';
import { coverBuckets, type RangesByLevel } from './rollup-ranges.js';

const t = (iso: string) => Date.parse(iso);
const MINUTE = 60_000;

/** Expands the ranges back to the minutes they cover, per bucket index. */
function minutesCovered(ranges: RangesByLevel): Map<number, number[]> {
  const byIndex = new Map<number, number[]>();
  for (const list of Object.values(ranges)) {
    for (const { index, start, end } of list) {
      const minutes = byIndex.get(index) ?? [];
      for (let m = start; m < end; m += MINUTE) minutes.push(m);
      byIndex.set(index, minutes);
    }
  }
  for (const minutes of byIndex.values()) minutes.sort((a, b) => a - b);
  return byIndex;
}

describe('coverBuckets', () => {
  it('reads a UTC day from one day row', () => {
    expect(coverBuckets([{ from: t('2026-03-01T00:00Z'), to: t('2026-03-02T00:00Z') }])).toEqual({
      minute: [],
      hour: [],
      day: [{ index: 0, start: t('2026-03-01T00:00Z'), end: t('2026-03-02T00:00Z') }],
    });
  });

  it('reads a Paris day from hour rows, and a Kolkata day with half hours of minutes', () => {
    const paris = coverBuckets([{ from: t('2026-03-28T23:00Z'), to: t('2026-03-29T22:00Z') }]);
    expect(paris.day).toEqual([]);
    expect(paris.minute).toEqual([]);
    expect(paris.hour).toEqual([
      { index: 0, start: t('2026-03-28T23:00Z'), end: t('2026-03-29T22:00Z') },
    ]);

    const kolkata = coverBuckets([{ from: t('2026-03-01T18:30Z'), to: t('2026-03-02T18:30Z') }]);
    expect(kolkata.minute).toEqual([
      { index: 0, start: t('2026-03-01T18:30Z'), end: t('2026-03-01T19:00Z') },
      { index: 0, start: t('2026-03-02T18:00Z'), end: t('2026-03-02T18:30Z') },
    ]);
    expect(kolkata.hour).toEqual([
      { index: 0, start: t('2026-03-01T19:00Z'), end: t('2026-03-02T18:00Z') },
    ]);
  });

  it('uses days in the middle of a long bucket and finer rows at its unaligned ends', () => {
    const ranges = coverBuckets([{ from: t('2026-01-01T22:30Z'), to: t('2026-01-05T01:15Z') }]);
    expect(ranges.day).toEqual([
      { index: 0, start: t('2026-01-02T00:00Z'), end: t('2026-01-05T00:00Z') },
    ]);
    expect(ranges.hour).toEqual([
      { index: 0, start: t('2026-01-01T23:00Z'), end: t('2026-01-02T00:00Z') },
      { index: 0, start: t('2026-01-05T00:00Z'), end: t('2026-01-05T01:00Z') },
    ]);
    expect(ranges.minute).toEqual([
      { index: 0, start: t('2026-01-01T22:30Z'), end: t('2026-01-01T23:00Z') },
      { index: 0, start: t('2026-01-05T01:00Z'), end: t('2026-01-05T01:15Z') },
    ]);
  });

  it('covers every minute of every bucket exactly once', () => {
    const starts = [
      '2026-01-01T00:00Z',
      '2026-01-01T00:07Z',
      '2026-01-01T03:00Z',
      '2026-01-02T00:00Z',
      '2026-01-04T13:45Z',
      '2026-01-04T14:00Z',
      '2026-01-09T00:00Z',
    ].map(t);
    const buckets = starts.slice(1).map((to, i) => ({ from: starts[i] ?? 0, to }));
    const covered = minutesCovered(coverBuckets(buckets));
    buckets.forEach(({ from, to }, index) => {
      const expected: number[] = [];
      for (let m = from; m < to; m += MINUTE) expected.push(m);
      expect(covered.get(index)).toEqual(expected);
    });
  });

  it('refuses bounds that are not whole minutes', () => {
    expect(() => coverBuckets([{ from: 1, to: MINUTE }])).toThrow(RangeError);
  });
});
