import type { Config } from '../../config.js';
import { AppError } from '../../errors.js';
import type { Actor } from '../../lib/actor.js';
import type { Clock } from '../../lib/clock.js';
import { formatMicros } from '../../lib/decimal.js';
import type { MetricType, ProjectRow } from '../../storage/schema.js';
import { filtersJson } from '../ingest/write-plan.js';
import type { Metric } from '../metrics/metrics.schemas.js';
import type { MetricsService } from '../metrics/metrics.service.js';
import { MAX_DIMENSION_SETS, type QueryRepo, type Selector, type Sums } from './query.repo.js';
import type { SeriesResponse } from './query.schemas.js';
import type { BreakdownParams, SeriesParams, WindowParams } from './query-params.js';
import { coverBuckets } from './rollup-ranges.js';
import {
  autoGranularity,
  bucketBoundaries,
  checkTimeZone,
  type Granularity,
  parseInstant,
  previousBoundaries,
  resolvePreset,
} from './time-buckets.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Bounds of "all time": day-aligned, far beyond any timestamp ingestion accepts. */
const ORIGIN = Date.UTC(1800, 0, 1);
const END_OF_TIME = Date.UTC(2200, 0, 1);
/** The days of each metric's sparkline in the project overview, today last. */
const SPARKLINE_PRESET = 'last_15_days';

/** A bucket's amounts, named by metric type; empty buckets are zeros (an empty mean is null). */
export type Amounts =
  | { sum: number; count: number }
  | { positive: number; negative: number; net: number; count: number }
  | { mean: number | null; sum: number; count: number };

/** Sums as read, in micro-units. */
interface Cell {
  pos: bigint;
  neg: bigint;
  count: number;
}

const empty = (): Cell => ({ pos: 0n, neg: 0n, count: 0 });

function add(into: Cell, from: Cell): void {
  into.pos += from.pos;
  into.neg += from.neg;
  into.count += from.count;
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Micro-units as the nearest double to their exact decimal value. Below 2^53 the division is
 * exact in its inputs and correctly rounded, so it equals parsing the decimal text, only faster.
 */
function num(micros: bigint): number {
  if (micros <= SAFE && micros >= -SAFE) return Number(micros) / 1e6;
  return Number(formatMicros(micros));
}

export function amounts(type: MetricType, cell: Cell): Amounts {
  const net = cell.pos - cell.neg;
  if (type === 'dual') {
    return { positive: num(cell.pos), negative: num(cell.neg), net: num(net), count: cell.count };
  }
  if (type === 'average') {
    return {
      mean: cell.count === 0 ? null : Number(net) / 1e6 / cell.count,
      sum: num(net),
      count: cell.count,
    };
  }
  return { sum: num(net), count: cell.count };
}

/** The exact decimal strings of a total, for sums past 2^53 micro-units. */
function exact(type: MetricType, cell: Cell): Record<string, string> {
  const net = formatMicros(cell.pos - cell.neg);
  if (type === 'dual') {
    return { positive: formatMicros(cell.pos), negative: formatMicros(cell.neg), net };
  }
  return { sum: net };
}

/** The number a chart headline shows: the sum, the net, or the mean. */
function headline(type: MetricType, cell: Cell): number | null {
  if (type === 'average')
    return cell.count === 0 ? null : Number(cell.pos - cell.neg) / 1e6 / cell.count;
  return num(cell.pos - cell.neg);
}

/** What ranks groups: the sum (basic), the volume of both sides (dual), the count (average). */
function weight(type: MetricType, cell: Cell): bigint {
  if (type === 'average') return BigInt(cell.count);
  return cell.pos + cell.neg;
}

/**
 * Change in percent to two decimals (no float noise such as -24.999999999999993), or null when
 * there is nothing to compare with.
 */
function change(current: number | null, previous: number | null): number | null {
  if (current === null || previous === null || previous === 0) return null;
  return Math.round(((current - previous) / Math.abs(previous)) * 10_000) / 100 || 0;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

interface Window {
  readonly tz: string;
  readonly from: number;
  readonly to: number;
}

/** A series' selectors: all of them add into the one series. */
type Selection = readonly Omit<Selector, 'group'>[];

/** The values of a filter key and, for each, the dimension sets that add up to it. */
type Groups = Map<string, Omit<Selector, 'group'>[]>;

export function createQueryService(deps: {
  repo: QueryRepo;
  metrics: MetricsService;
  clock: Clock;
  config: Config;
}) {
  const { repo, metrics, clock, config } = deps;

  /** Refuses a range longer than the project allows (RANGE_TOO_LONG); never shortens it. */
  function checkRange(project: ProjectRow, from: number, to: number): void {
    const maxDays = project.maxQueryRangeDays ?? config.query.maxRangeDays;
    // An hour of slack: a range of N local days spans N × 24 h ± 1 h across a DST change.
    if (maxDays > 0 && to - from > maxDays * DAY_MS + 3_600_000) {
      throw new AppError(
        'RANGE_TOO_LONG',
        `The range spans ${Math.ceil((to - from) / DAY_MS)} days; this project allows ${maxDays}.`,
        { extensions: { maxDays } },
      );
    }
  }

  function resolveWindow(params: WindowParams, project: ProjectRow): Window {
    const tz = checkTimeZone(params.tz ?? 'UTC');
    let from: number;
    let to: number;
    if (params.range !== undefined) {
      if (params.from !== undefined || params.to !== undefined) {
        throw new AppError('RANGE_INVALID', 'Give either "range" or "from"/"to", not both.');
      }
      ({ from, to } = resolvePreset(params.range, clock.now(), tz));
    } else {
      if (params.from === undefined) {
        throw new AppError('RANGE_INVALID', 'Give "from" (and "to", default now) or a "range".');
      }
      from = parseInstant(params.from, tz, 'from');
      to = params.to === undefined ? clock.now() : parseInstant(params.to, tz, 'to');
    }
    if (from >= to) throw new AppError('RANGE_INVALID', '"from" must be before "to".');
    checkRange(project, from, to);
    return { tz, from, to };
  }

  /** Every filter combination of a metric, or QUERY_TOO_BROAD past the listing limit. */
  async function combinationsOf(metricId: string): Promise<string[]> {
    const combos = await repo.dimensionSets(metricId);
    if (combos.length > MAX_DIMENSION_SETS) {
      throw new AppError(
        'QUERY_TOO_BROAD',
        `This metric has more than ${MAX_DIMENSION_SETS.toLocaleString('en')} filter combinations: several filters together, or a breakdown under a filter, cannot be computed; use one filter.`,
      );
    }
    return combos;
  }

  /** The dimension sets that make up the events matching every filter. */
  async function selectionOf(
    metricId: string,
    filters: WindowParams['filters'],
  ): Promise<Selection> {
    if (filters.length === 0) return [{ metricId, dims: '' }];
    if (filters.length === 1) return [{ metricId, dims: filtersJson(filters) }];
    const combos = await combinationsOf(metricId);
    return combos
      .filter((dims) => {
        const set = parseDims(dims);
        return set.size > 1 && filters.every(([k, v]) => set.get(k) === v);
      })
      .map((dims) => ({ metricId, dims }));
  }

  /** Groups by the values of `key` among the events matching the filters. */
  async function groupsOf(
    metricId: string,
    key: string,
    filters: WindowParams['filters'],
  ): Promise<Groups> {
    const groups: Groups = new Map();
    const fixed = filters.find(([k]) => k === key);
    if (fixed !== undefined) {
      groups.set(fixed[1], [...(await selectionOf(metricId, filters))]);
      return groups;
    }
    if (filters.length === 0) {
      for (const { key: k, value } of await repo.filterValues(metricId)) {
        if (k === key) groups.set(value, [{ metricId, dims: filtersJson([[key, value]]) }]);
      }
      return groups;
    }
    for (const dims of await combinationsOf(metricId)) {
      const set = parseDims(dims);
      const value = set.get(key);
      if (value === undefined || set.size < 2) continue;
      if (!filters.every(([k, v]) => set.get(k) === v)) continue;
      const list = groups.get(value) ?? [];
      list.push({ metricId, dims });
      groups.set(value, list);
    }
    return groups;
  }

  /** Sums each selection over each bucket: cells[selection][bucket]. */
  async function read(
    selections: readonly Selection[],
    buckets: readonly { from: number; to: number }[],
  ): Promise<Cell[][]> {
    const cells = selections.map(() => buckets.map(empty));
    const selectors: Selector[] = selections.flatMap((selection, group) =>
      selection.map((s) => ({ ...s, group })),
    );
    const sums: Sums[] = await repo.sum(selectors, coverBuckets(buckets));
    for (const s of sums) {
      const cell = cells[s.group]?.[s.index];
      if (cell !== undefined) add(cell, s);
    }
    return cells;
  }

  /** The top groups by weight over the whole window, and the rest. */
  async function rankGroups(
    type: MetricType,
    groups: Groups,
    window: { from: number; to: number },
    limit: number,
  ): Promise<{ top: Array<[string, Cell]>; rest: Array<[string, Cell]> }> {
    const values = [...groups.keys()];
    const totals = await read(
      values.map((v) => groups.get(v) ?? []),
      [window],
    );
    const ranked = values
      .map((value, i): [string, Cell] => [value, totals[i]?.[0] ?? empty()])
      .filter(([, cell]) => cell.count > 0)
      .sort(([va, a], [vb, b]) => {
        const diff = weight(type, b) - weight(type, a);
        return diff > 0n ? 1 : diff < 0n ? -1 : va < vb ? -1 : va > vb ? 1 : 0;
      });
    return { top: ranked.slice(0, limit), rest: ranked.slice(limit) };
  }

  return {
    /**
     * A metric and the exact window [from, to) its parameters name, checked against the
     * project's range limit: for reads that are not bucketed, such as exports.
     */
    async window(actor: Actor, projectId: string, metricRef: string, params: WindowParams) {
      const { metric, project } = await metrics.getMetricWithProject(actor, projectId, metricRef);
      return { metric, ...resolveWindow(params, project) };
    },

    /** A metric's time series with its summary, previous period and optional groups. */
    async series(actor: Actor, projectId: string, metricRef: string, params: SeriesParams) {
      const { metric, project } = await metrics.getMetricWithProject(actor, projectId, metricRef);
      const window = resolveWindow(params, project);
      const granularity: Granularity =
        params.granularity === 'auto'
          ? autoGranularity(window.from, window.to, window.tz)
          : params.granularity;
      const max = config.query.maxBuckets;
      const bounds = bucketBoundaries(window.from, window.to, granularity, window.tz, max);
      const previous = previousBoundaries(bounds, granularity, window.tz);
      const n = bounds.length - 1;
      const first = bounds[0] ?? window.from;
      const last = bounds[n] ?? window.to;
      // The buckets widen the window: the limit applies to what the answer covers.
      checkRange(project, first, last);
      const spans = (b: readonly number[]) =>
        b.slice(0, -1).map((from, i) => ({ from, to: b[i + 1] ?? from }));
      const main = spans(bounds);
      // Bucket by bucket only when asked for: otherwise the previous period is one total.
      const prev = params.previous
        ? spans(previous)
        : [{ from: previous[0] ?? first, to: previous[previous.length - 1] ?? first }];
      const p = prev.length;
      const selection = await selectionOf(metric.id, params.filters);
      const [cells = []] = await read(
        [selection],
        [...main, ...prev, { from: ORIGIN, to: first }, { from: last, to: END_OF_TIME }],
      );
      const type = metric.type;
      const current = empty();
      const previousTotal = empty();
      for (const c of cells.slice(0, n)) add(current, c);
      for (const c of cells.slice(n, n + p)) add(previousTotal, c);
      const before = cells[n + p] ?? empty();
      const after = cells[n + p + 1] ?? empty();
      const allTime = empty();
      for (const c of [before, current, after]) add(allTime, c);

      const running = { ...before };
      const buckets = main.map(({ from }, i) => {
        const cell = cells[i] ?? empty();
        add(running, cell);
        return { start: iso(from), ...amounts(type, cell), cumulative: headline(type, running) };
      });

      let groups: SeriesResponse['groups'];
      if (params.groupBy !== undefined) {
        const all = await groupsOf(metric.id, params.groupBy, params.filters);
        const { top, rest } = await rankGroups(type, all, { from: first, to: last }, params.top);
        const selections: Selection[] = top.map(([value]) => all.get(value) ?? []);
        if (rest.length > 0) selections.push(rest.flatMap(([value]) => all.get(value) ?? []));
        const series = await read(selections, main);
        groups = selections.map((_, g) => {
          const [value, total] = top[g] ?? [null, empty()];
          const rows = series[g] ?? [];
          const otherTotal = empty();
          if (value === null) for (const c of rows) add(otherTotal, c);
          return {
            value,
            other: value === null,
            ...(value === null ? { values: rest.length } : {}),
            total: amounts(type, value === null ? otherTotal : total),
            buckets: main.map(({ from }, i) => ({
              start: iso(from),
              ...amounts(type, rows[i] ?? empty()),
            })),
          };
        });
      }

      return {
        metric: describe(metric),
        from: iso(first),
        to: iso(last),
        granularity,
        tz: window.tz,
        filters: Object.fromEntries(params.filters),
        buckets,
        summary: {
          value: headline(type, current),
          total: { ...amounts(type, current), exact: exact(type, current) },
          previous: {
            from: iso(previous[0] ?? first),
            to: iso(previous[previous.length - 1] ?? first),
            value: headline(type, previousTotal),
            ...amounts(type, previousTotal),
          },
          change: change(headline(type, current), headline(type, previousTotal)),
          allTime: { ...amounts(type, allTime), exact: exact(type, allTime) },
          before: { value: headline(type, before), ...amounts(type, before) },
        },
        ...(params.previous
          ? {
              previousBuckets: prev.map(({ from }, i) => ({
                start: iso(from),
                ...amounts(type, cells[n + i] ?? empty()),
              })),
            }
          : {}),
        ...(groups === undefined ? {} : { groupBy: params.groupBy, groups }),
      };
    },

    /** Totals per value of one filter key over a window (bar lists, pies). */
    async breakdown(actor: Actor, projectId: string, metricRef: string, params: BreakdownParams) {
      const { metric, project } = await metrics.getMetricWithProject(actor, projectId, metricRef);
      const window = resolveWindow(params, project);
      const from = window.from - (((window.from % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
      const to = Math.ceil(window.to / MINUTE_MS) * MINUTE_MS;
      const type = metric.type;
      const all = await groupsOf(metric.id, params.by, params.filters);
      const { top, rest } = await rankGroups(type, all, { from, to }, params.limit);
      const [[matching = empty()] = []] = await read(
        [await selectionOf(metric.id, params.filters)],
        [{ from, to }],
      );
      const withKey = empty();
      const other = empty();
      for (const [, cell] of top) add(withKey, cell);
      for (const [, cell] of rest) {
        add(withKey, cell);
        add(other, cell);
      }
      const without = {
        pos: matching.pos - withKey.pos,
        neg: matching.neg - withKey.neg,
        count: matching.count - withKey.count,
      };
      const share = (cell: Cell): number | null => {
        const whole = weight(type, matching);
        return whole === 0n ? null : Number((weight(type, cell) * 1_000_000n) / whole) / 10_000;
      };
      return {
        metric: describe(metric),
        by: params.by,
        from: iso(from),
        to: iso(to),
        tz: window.tz,
        filters: Object.fromEntries(params.filters),
        total: amounts(type, matching),
        values: top.map(([value, cell]) => ({ value, ...amounts(type, cell), share: share(cell) })),
        other:
          rest.length === 0
            ? null
            : { values: rest.length, ...amounts(type, other), share: share(other) },
        withoutKey: { ...amounts(type, without), share: share(without) },
      };
    },

    /**
     * Every metric of a project with today, yesterday, the change (today so far against yesterday
     * up to the same time of day) and a daily sparkline.
     */
    async overview(actor: Actor, projectId: string, params: { tz?: string }) {
      const list = await metrics.listMetrics(actor, projectId);
      const tz = checkTimeZone(params.tz ?? 'UTC');
      const now = clock.now();
      const days = resolvePreset(SPARKLINE_PRESET, now, tz);
      const bounds = bucketBoundaries(days.from, days.to, 'day', tz, 100);
      const spans = bounds.slice(0, -1).map((from, i) => ({ from, to: bounds[i + 1] ?? from }));
      const today = spans[spans.length - 1] ?? { from: now, to: now };
      const yesterday = spans[spans.length - 2] ?? today;
      // As much of yesterday as has passed of today, the current minute included (rollups count
      // whole minutes), never past yesterday's end (when the clocks changed, days differ).
      const sofar = Math.floor((now - today.from) / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
      const atThisTime = {
        from: yesterday.from,
        to: Math.min(yesterday.from + sofar, yesterday.to),
      };
      const cells = await read(
        list.map((m) => [{ metricId: m.id, dims: '' }]),
        [...spans, atThisTime],
      );
      return {
        tz,
        metrics: list.map((metric, m) => {
          const row = cells[m] ?? [];
          const todayCell = row[spans.length - 1] ?? empty();
          const yesterdayCell = row[spans.length - 2] ?? empty();
          const atThisTimeCell = row[spans.length] ?? empty();
          return {
            ...metric,
            today: amounts(metric.type, todayCell),
            yesterday: amounts(metric.type, yesterdayCell),
            yesterdayAtThisTime: amounts(metric.type, atThisTimeCell),
            change: change(headline(metric.type, todayCell), headline(metric.type, atThisTimeCell)),
            sparkline: spans.map(({ from }, i) => ({
              start: iso(from),
              value: headline(metric.type, row[i] ?? empty()),
            })),
          };
        }),
      };
    },

    /** The filter keys a metric has seen, with their values. */
    async filters(actor: Actor, projectId: string, metricRef: string) {
      const metric = await metrics.getMetric(actor, projectId, metricRef);
      const byKey = new Map<string, string[]>();
      for (const { key, value } of await repo.filterValues(metric.id)) {
        const values = byKey.get(key) ?? [];
        values.push(value);
        byKey.set(key, values);
      }
      return { keys: [...byKey].map(([key, values]) => ({ key, values })) };
    },
  };
}

function describe(metric: Metric) {
  return {
    id: metric.id,
    name: metric.name,
    type: metric.type,
    unit: metric.unit,
    positiveName: metric.positiveName,
    negativeName: metric.negativeName,
  };
}

/** A dimension set as stored: canonical JSON of string keys and values. */
function parseDims(dims: string): Map<string, string> {
  return new Map(Object.entries(JSON.parse(dims) as Record<string, string>));
}

export type QueryService = ReturnType<typeof createQueryService>;
