import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../storage/database.js';
import { ROLLUP_LEVELS, type RollupLevel } from '../ingest/write-plan.js';
import type { LevelRange, RangesByLevel } from './rollup-ranges.js';

/** One dimension set of one metric, whose sums add into series `group`. */
export interface Selector {
  readonly metricId: string;
  readonly dims: string;
  readonly group: number;
}

/** Sums of the rollup rows of one group within one output bucket. */
export interface Sums {
  readonly group: number;
  readonly index: number;
  readonly pos: bigint;
  readonly neg: bigint;
  readonly count: number;
}

/** Selectors per statement: keeps every statement far under both engines' parameter limits. */
const SELECTORS_PER_STATEMENT = 5_000;
/** Past this many dimension sets, a metric's combinations are not listed. */
export const MAX_DIMENSION_SETS = 100_000;

const TABLES: Record<RollupLevel, string> = {
  minute: 'rollups_minute',
  hour: 'rollups_hour',
  day: 'rollups_day',
};

interface SumRow {
  grp: number | string;
  idx: number | string;
  pos: string;
  neg: string;
  count: number | string;
}

/** The bucket bounds are integers the server computed, so they are inlined, not bound. */
function rangesTable(ranges: readonly LevelRange[]): RawBuilder<unknown> {
  const rows = ranges.map(({ index, start, end }) => {
    if (![index, start, end].every(Number.isSafeInteger)) {
      throw new RangeError('bucket bounds must be safe integers');
    }
    return `(${index}, ${start}, ${end})`;
  });
  return sql.raw(`(values ${rows.join(', ')})`);
}

export function createQueryRepo(db: Db) {
  /**
   * One statement per level: every (selector × bucket range) pair is an index range read on
   * (metric_id, dims, bucket), summed by the database. SQLite takes CROSS JOIN as the loop order,
   * so the small lists drive and the rollup table is only ever probed.
   */
  async function sumLevel(
    level: RollupLevel,
    selectors: readonly Selector[],
    ranges: readonly LevelRange[],
  ): Promise<Sums[]> {
    if (ranges.length === 0 || selectors.length === 0) return [];
    const sums: Sums[] = [];
    for (let i = 0; i < selectors.length; i += SELECTORS_PER_STATEMENT) {
      const chunk = selectors.slice(i, i + SELECTORS_PER_STATEMENT);
      const selectorRows = sql.join(
        chunk.map((s) => sql`(${s.metricId}, ${s.dims}, ${sql.raw(String(s.group))})`),
      );
      const { rows } = await sql<SumRow>`
        select s.column3 as grp, r.column1 as idx,
          cast(sum(x.pos) as text) as pos, cast(sum(x.neg) as text) as neg,
          cast(sum(x.count) as text) as count
        from (values ${selectorRows}) as s
        cross join ${rangesTable(ranges)} as r
        cross join ${sql.table(TABLES[level])} as x
        where x.metric_id = s.column1 and x.dims = s.column2
          and x.bucket >= r.column2 and x.bucket < r.column3
        group by s.column3, r.column1`.execute(db);
      for (const row of rows) {
        sums.push({
          group: Number(row.grp),
          index: Number(row.idx),
          pos: BigInt(row.pos),
          neg: BigInt(row.neg),
          count: Number(row.count),
        });
      }
    }
    return sums;
  }

  return {
    /** Sums per (group, bucket index) over the rollup rows covering each bucket. */
    async sum(selectors: readonly Selector[], ranges: RangesByLevel): Promise<Sums[]> {
      const parts = await Promise.all(
        ROLLUP_LEVELS.map((level) => sumLevel(level.name, selectors, ranges[level.name])),
      );
      return parts.flat();
    },

    /**
     * Every dimension set a metric has rows for ('' excluded), in order: a loose index scan that
     * jumps from one value to the next instead of reading every bucket of each.
     */
    async dimensionSets(metricId: string): Promise<string[]> {
      const { rows } = await sql<{ dims: string | null }>`
        with recursive d (dims, n) as (
          select (select min(dims) from rollups_day where metric_id = ${metricId} and dims > ''), 1
          union all
          select (select min(x.dims) from rollups_day x
                  where x.metric_id = ${metricId} and x.dims > d.dims), d.n + 1
          from d where d.dims is not null and d.n < ${MAX_DIMENSION_SETS}
        )
        select dims from d where dims is not null`.execute(db);
      return rows.flatMap((r) => (r.dims === null ? [] : [r.dims]));
    },

    /** The values a metric has seen for each filter key. */
    async filterValues(metricId: string): Promise<Array<{ key: string; value: string }>> {
      return db
        .selectFrom('metricFilterValues')
        .select(['key', 'value'])
        .where('metricId', '=', metricId)
        .orderBy('key')
        .orderBy('value')
        .execute();
    },
  };
}

export type QueryRepo = ReturnType<typeof createQueryRepo>;
