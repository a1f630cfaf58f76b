import { AppError } from '../../errors.js';
import { parseFilters } from '../ingest/event-input.js';
import type { WindowParams } from '../query/query-params.js';

export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The export's parameters as sent: the window is resolved by the query service. */
export interface ExportParams {
  readonly format: ExportFormat;
  readonly window: WindowParams;
}

/** What to export: events with from ≤ ts < to carrying every filter, as one format. */
export interface ExportQuery {
  /** Epoch ms, inclusive. */
  readonly from: number;
  /** Epoch ms, exclusive. */
  readonly to: number;
  readonly format: ExportFormat;
  /** Sorted by key; trimmed and lower-cased, as events store them. */
  readonly filters: ReadonlyArray<readonly [string, string]>;
}

const FILTER_PARAM = /^filter\[(.*)\]$/s;
const NAMES = ['from', 'to', 'range', 'tz', 'format'];

function invalid(detail: string): AppError {
  return new AppError('QUERY_INVALID', detail);
}

function shown(name: string): string {
  return name.length > 40 ? `${name.slice(0, 40)}…` : name;
}

/**
 * Reads `format`, the window (`range` or `from`/`to`, `tz`) and any number of
 * `filter[key]=value`, each at most once. Shape errors are QUERY_INVALID; the window is checked
 * when the query service resolves it (RANGE_INVALID, TIME_ZONE_INVALID, RANGE_TOO_LONG).
 */
export function parseExportQuery(query: Readonly<Record<string, unknown>>): ExportParams {
  const values = new Map<string, string>();
  const rawFilters: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (typeof value !== 'string') throw invalid(`"${shown(name)}" is given more than once.`);
    const filter = FILTER_PARAM.exec(name);
    if (filter !== null) {
      rawFilters[filter[1] ?? ''] = value;
    } else if (NAMES.includes(name)) {
      values.set(name, value);
    } else {
      throw invalid(
        `Unknown parameter "${shown(name)}"; expected from, to, range, tz, format or filter[key].`,
      );
    }
  }
  // The same rules as the query API and ingestion: FILTERS_INVALID, FILTERS_LIMIT.
  const filters = parseFilters(rawFilters);
  const format = values.get('format') ?? 'csv';
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw invalid(`"format" must be ${EXPORT_FORMATS.join(' or ')}.`);
  }

  const window: { -readonly [K in keyof WindowParams]: WindowParams[K] } = {
    filters,
  };
  for (const name of ['from', 'to', 'range', 'tz'] as const) {
    const value = values.get(name);
    if (value !== undefined) window[name] = value;
  }
  return { format: format as ExportFormat, window };
}
