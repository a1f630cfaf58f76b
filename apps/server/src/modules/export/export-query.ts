import { AppError } from '../../errors.js';
import { parseWindowQuery, type RawQuery, type WindowParams } from '../query/query-params.js';

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

/**
 * Reads `format`, the window (`range` or `from`/`to`, `tz`) and any number of
 * `filter[key]=value`, each at most once, as the query API does. Shape errors are QUERY_INVALID;
 * the window is checked when the query service resolves it.
 */
export function parseExportQuery(query: RawQuery): ExportParams {
  const { window, values } = parseWindowQuery(query, ['format']);
  const format = values.get('format') ?? 'csv';
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new AppError('QUERY_INVALID', `"format" must be ${EXPORT_FORMATS.join(' or ')}.`);
  }
  return { format: format as ExportFormat, window };
}
