import { AppError } from '../../errors.js';
import { parseFilters } from '../ingest/event-input.js';
import { GRANULARITIES, type Granularity } from './time-buckets.js';

/** A query string as Fastify parses it: repeated names become arrays. */
export type RawQuery = Readonly<Record<string, string | string[] | undefined>>;

/** Where and how finely to read: the parameters every read shares. */
export interface WindowParams {
  readonly from?: string;
  readonly to?: string;
  readonly range?: string;
  readonly tz?: string;
  /** Sorted by key; trimmed and lower-cased as stored. */
  readonly filters: ReadonlyArray<readonly [string, string]>;
}

export interface SeriesParams extends WindowParams {
  readonly granularity: Granularity | 'auto';
  readonly groupBy?: string;
  readonly top: number;
  /** Also return the previous period bucket by bucket (for an overlay). */
  readonly previous: boolean;
}

export interface BreakdownParams extends WindowParams {
  readonly by: string;
  readonly limit: number;
}

const FILTER_PARAM = /^filter\[(.*)\]$/;
const WINDOW_NAMES = ['from', 'to', 'range', 'tz'] as const;

function invalid(detail: string): AppError {
  return new AppError('QUERY_INVALID', detail);
}

/** Reads a query string: only `allowed` names and `filter[key]`, each given at most once. */
function readQuery(
  query: RawQuery,
  allowed: readonly string[],
): { values: Map<string, string>; filters: Record<string, string> } {
  const values = new Map<string, string>();
  const filters: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) throw invalid(`"${name}" is given more than once.`);
    const filter = FILTER_PARAM.exec(name);
    if (filter !== null) {
      filters[filter[1] ?? ''] = value;
    } else if (allowed.includes(name)) {
      values.set(name, value);
    } else {
      throw invalid(
        `Unknown parameter "${name.slice(0, 40)}"; expected ${allowed.join(', ')} or filter[key].`,
      );
    }
  }
  return { values, filters };
}

function windowOf(values: Map<string, string>, filters: Record<string, string>): WindowParams {
  const window: { -readonly [K in keyof WindowParams]: WindowParams[K] } = {
    filters: parseFilters(filters),
  };
  for (const name of WINDOW_NAMES) {
    const value = values.get(name);
    if (value !== undefined) window[name] = value;
  }
  return window;
}

function integer(values: Map<string, string>, name: string, fallback: number, max: number): number {
  const text = values.get(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > max) {
    throw invalid(`"${name}" must be an integer from 1 to ${max}.`);
  }
  return value;
}

function filterKey(text: string | undefined, name: string): string | undefined {
  if (text === undefined) return undefined;
  try {
    const [[key] = ['']] = parseFilters({ [text]: 'x' });
    if (key !== '') return key;
  } catch {
    // Reported below, with the parameter's name.
  }
  throw invalid(`"${name}" must be a filter key (a-z 0-9 space _ - / $ % # & * ( ) ! ~ .).`);
}

/** The window parameters, the `filter[key]`s and the `extra` names of a read, each once. */
export function parseWindowQuery(
  query: RawQuery,
  extra: readonly string[],
): { window: WindowParams; values: ReadonlyMap<string, string> } {
  const { values, filters } = readQuery(query, [...WINDOW_NAMES, ...extra]);
  return { window: windowOf(values, filters), values };
}

export const MAX_GROUPS = 100;
export const MAX_BREAKDOWN_VALUES = 1_000;

export function parseSeriesParams(query: RawQuery): SeriesParams {
  const { values, filters } = readQuery(query, [
    ...WINDOW_NAMES,
    'granularity',
    'groupBy',
    'top',
    'previous',
  ]);
  const previous = values.get('previous') ?? 'false';
  if (previous !== 'true' && previous !== 'false') {
    throw invalid('"previous" must be true or false.');
  }
  const granularity = values.get('granularity') ?? 'auto';
  if (granularity !== 'auto' && !(GRANULARITIES as readonly string[]).includes(granularity)) {
    throw invalid(`"granularity" must be auto, ${GRANULARITIES.join(', ')}.`);
  }
  const groupBy = filterKey(values.get('groupBy'), 'groupBy');
  return {
    ...windowOf(values, filters),
    granularity: granularity as Granularity | 'auto',
    ...(groupBy === undefined ? {} : { groupBy }),
    top: integer(values, 'top', 10, MAX_GROUPS),
    previous: previous === 'true',
  };
}

/** `series.csv`: the series' parameters but one series (the CSV has no column for a group). */
export function parseSeriesCsvParams(query: RawQuery): SeriesParams {
  for (const name of ['groupBy', 'top']) {
    if (query[name] !== undefined) {
      throw invalid(
        `series.csv is one series: "${name}" is for the JSON series (…/series), whose groups each have their buckets.`,
      );
    }
  }
  return parseSeriesParams(query);
}

export function parseBreakdownParams(query: RawQuery): BreakdownParams {
  const { values, filters } = readQuery(query, [...WINDOW_NAMES, 'by', 'limit']);
  const by = filterKey(values.get('by'), 'by');
  if (by === undefined) throw invalid('"by" (the filter key to break down by) is required.');
  return {
    ...windowOf(values, filters),
    by,
    limit: integer(values, 'limit', 50, MAX_BREAKDOWN_VALUES),
  };
}

export function parseOverviewParams(query: RawQuery): { tz?: string } {
  const { values, filters } = readQuery(query, ['tz']);
  if (Object.keys(filters).length > 0) throw invalid('The overview takes no filters.');
  const tz = values.get('tz');
  return tz === undefined ? {} : { tz };
}
