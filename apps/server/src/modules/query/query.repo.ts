import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../storage/database.js';
import type { DialectName } from '../../storage/dialect.js';
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
/** Past this many dimension sets, a metric's combinations are not listed (see dimensionSets). */
export const MAX_DIMENSION_SETS = 10_000;

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

/** Integers the server computed are inlined, not bound: no parameter limit, a short statement. */
function integerRows(rows: readonly (readonly number[])[]): RawBuilder<unknown> {
  const text = rows.map((row) => {
    if (!row.every(Number.isSafeInteger)) throw new RangeError('bounds must be safe integers');
    return `(${row.join(', ')})`;
  });
  return sql.raw(`(values ${text.join(', ')})`);
}

/** Runs of whole-row ranges, merged: one index range read each instead of one probe per row. */
function spansOf(ranges: readonly LevelRange[]): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (const { start, end } of ranges) {
    const last = spans[spans.length - 1];
    if (last !== undefined && last[1] === start) last[1] = end;
    else spans.push([start, end]);
  }
  return spans;
}

export function createQueryRepo(
  db: Db,
  dialect: DialectName,
  /**
   * Brings the rollups up to every committed event before they are read: SQLite's fold
   * (ingest/rollup-fold.ts). PostgreSQL's commits write the rollups themselves.
   */
  settle: () => void = () => {},
) {
  /**
   * Joins the selectors, a list of bucket ranges and a rollup table so that each (selector,
   * range) pair is an index range read on (metric_id, dims, bucket). SQLite takes CROSS JOIN as
   * the loop order; PostgreSQL needs LATERAL to probe the index per range rather than test every
   * row against every range.
   */
  function probe(
    level: RollupLevel,
    selectors: RawBuilder<unknown>,
    ranges: RawBuilder<unknown>,
    aggregate: boolean,
  ) {
    const table = sql.table(TABLES[level]);
    const match = sql`x.metric_id = s.column1 and x.dims = s.column2
      and x.bucket >= r.column2 and x.bucket < r.column3`;
    if (dialect === 'postgres') {
      return aggregate
        ? sql<SumRow>`select s.column3 as grp, r.column1 as idx, a.pos, a.neg, a.count
            from ${selectors} as s cross join ${ranges} as r
            cross join lateral (
              select cast(sum(x.pos) as text) as pos, cast(sum(x.neg) as text) as neg,
                cast(sum(x.count) as text) as count
              from ${table} as x where ${match}) as a
            where a.count is not null`
        : sql<SumRow>`select s.column3 as grp, a.bucket as idx, a.pos, a.neg, a.count
            from ${selectors} as s cross join ${ranges} as r
            cross join lateral (
              select x.bucket, cast(x.pos as text) as pos, cast(x.neg as text) as neg,
                cast(x.count as text) as count
              from ${table} as x where ${match}) as a`;
    }
    return aggregate
      ? sql<SumRow>`select s.column3 as grp, r.column1 as idx,
          cast(sum(x.pos) as text) as pos, cast(sum(x.neg) as text) as neg,
          cast(sum(x.count) as text) as count
        from ${selectors} as s cross join ${ranges} as r cross join ${table} as x
        where ${match} group by s.column3, r.column1`
      : sql<SumRow>`select s.column3 as grp, x.bucket as idx,
          cast(x.pos as text) as pos, cast(x.neg as text) as neg, cast(x.count as text) as count
        from ${selectors} as s cross join ${ranges} as r cross join ${table} as x
        where ${match}`;
  }

  /**
   * Sums per (group, range index) at one level. Ranges of exactly one row (a minute series read
   * from minute rows) are merged into spans and read row by row; longer ranges (the hours of a
   * local day) are summed by the database.
   */
  async function sumLevel(
    level: RollupLevel,
    selectors: readonly Selector[],
    ranges: readonly LevelRange[],
  ): Promise<Sums[]> {
    if (ranges.length === 0 || selectors.length === 0) return [];
    const size = ROLLUP_LEVELS.find((l) => l.name === level)?.ms ?? 0;
    const single = ranges.filter((r) => r.end - r.start === size);
    const wide = ranges.filter((r) => r.end - r.start !== size);
    const indexOf = new Map(single.map((r) => [r.start, r.index]));
    const sums: Sums[] = [];
    for (let i = 0; i < selectors.length; i += SELECTORS_PER_STATEMENT) {
      const chunk = selectors.slice(i, i + SELECTORS_PER_STATEMENT);
      const selectorRows = sql`(values ${sql.join(
        chunk.map((s) => sql`(${s.metricId}, ${s.dims}, ${sql.raw(String(s.group))})`),
      )})`;
      const reads: Array<Promise<{ rows: SumRow[] }>> = [];
      if (wide.length > 0) {
        const rows = integerRows(wide.map((r) => [r.index, r.start, r.end]));
        reads.push(probe(level, selectorRows, rows, true).execute(db));
      }
      if (single.length > 0) {
        const rows = integerRows(spansOf(single).map(([start, end]) => [0, start, end]));
        reads.push(
          probe(level, selectorRows, rows, false)
            .execute(db)
            .then(({ rows: found }) => ({
              // A row read by span is placed in the range starting at its bucket.
              rows: found.map((row) => ({ ...row, idx: indexOf.get(Number(row.idx)) ?? -1 })),
            })),
        );
      }
      for (const { rows } of await Promise.all(reads)) {
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
    }
    return sums;
  }

  return {
    /** Sums per (group, bucket index) over the rollup rows covering each bucket. */
    async sum(selectors: readonly Selector[], ranges: RangesByLevel): Promise<Sums[]> {
      settle();
      const parts = await Promise.all(
        ROLLUP_LEVELS.map((level) => sumLevel(level.name, selectors, ranges[level.name])),
      );
      return parts.flat();
    },

    /**
     * Every dimension set a metric has rows for ('' excluded), in order: a loose index scan that
     * jumps from one value to the next instead of reading every bucket of each. Stops past
     * MAX_DIMENSION_SETS: more than that many comes back as MAX_DIMENSION_SETS + 1 entries.
     */
    async dimensionSets(metricId: string): Promise<string[]> {
      settle();
      const { rows } = await sql<{ dims: string | null }>`
        with recursive d (dims, n) as (
          select (select min(dims) from rollups_day where metric_id = ${metricId} and dims > ''), 1
          union all
          select (select min(x.dims) from rollups_day x
                  where x.metric_id = ${metricId} and x.dims > d.dims), d.n + 1
          from d where d.dims is not null and d.n <= ${MAX_DIMENSION_SETS}
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
