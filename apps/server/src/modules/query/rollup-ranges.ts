import { ROLLUP_LEVELS, type RollupLevel } from '../ingest/write-plan.js';

const [MINUTE, HOUR, DAY] = ROLLUP_LEVELS;

/** A run of rollup buckets, [start, end), whose sums belong to output bucket `index`. */
export interface LevelRange {
  readonly index: number;
  readonly start: number;
  readonly end: number;
}

export type RangesByLevel = Record<RollupLevel, LevelRange[]>;

function ceilTo(t: number, ms: number): number {
  const rest = ((t % ms) + ms) % ms;
  return rest === 0 ? t : t + ms - rest;
}

function floorTo(t: number, ms: number): number {
  return t - (((t % ms) + ms) % ms);
}

/**
 * Covers each bucket [from, to) with the fewest rollup rows: whole UTC days from the day level,
 * whole hours from the hour level, the rest from minutes. A local day in Paris (23:00–23:00 UTC)
 * is 24 hour rows; a UTC day is one day row; a day in Kolkata (18:30–18:30 UTC) adds two half
 * hours of minute rows. Every bound must be a whole UTC minute.
 */
export function coverBuckets(buckets: readonly { from: number; to: number }[]): RangesByLevel {
  const ranges: RangesByLevel = { minute: [], hour: [], day: [] };
  buckets.forEach(({ from, to }, index) => {
    if (from % MINUTE.ms !== 0 || to % MINUTE.ms !== 0) {
      throw new RangeError(`bucket bounds must be whole minutes: ${from}, ${to}`);
    }
    let t = from;
    while (t < to) {
      let level: RollupLevel;
      let next: number;
      if (t % DAY.ms === 0 && t + DAY.ms <= to) {
        level = 'day';
        next = floorTo(to, DAY.ms);
      } else if (t % HOUR.ms === 0 && t + HOUR.ms <= to) {
        level = 'hour';
        next = Math.min(ceilTo(t + 1, DAY.ms), floorTo(to, HOUR.ms));
      } else {
        level = 'minute';
        next = Math.min(ceilTo(t + 1, HOUR.ms), to);
      }
      const list = ranges[level];
      const last = list[list.length - 1];
      if (last !== undefined && last.index === index && last.end === t) {
        list[list.length - 1] = { index, start: last.start, end: next };
      } else {
        list.push({ index, start: t, end: next });
      }
      t = next;
    }
  });
  return ranges;
}
