import { markOverlongNumbers, OVERLONG_NUMBER } from '../../modules/ingest/json-numbers.js';
import { type FieldProblem, parseTimestampText, parseValueText } from './event-fields.js';
import { splitCsvRecord } from './record-reader.js';

export type ImportFormat = 'csv' | 'ndjson';

/** One event of an import, as sent in a batch. */
export interface ImportEvent {
  metric: string;
  value: number;
  timestamp: string | number;
  filters?: Record<string, string>;
}

export type RowOutcome =
  | { readonly ok: true; readonly event: ImportEvent }
  | ({ readonly ok: false } & FieldProblem);

/** Turns the text of one data row into an event, or the reason it is refused. */
export type RowParser = (text: string) => RowOutcome;

/** A file the importer cannot read at all (a bad CSV header), as opposed to one bad row. */
export class ImportFileError extends Error {
  override name = 'ImportFileError';
}

/**
 * The export writes a `'` before a cell a spreadsheet would run as a formula, and before a cell
 * that already looks guarded (`'=x` becomes `''=x`), so removing one `'` gives the value back.
 */
const FORMULA_GUARD = /^'+[=+\-@]/;

function unguard(cell: string): string {
  return FORMULA_GUARD.test(cell) ? cell.slice(1) : cell;
}

function refuse(code: string, detail: string): RowOutcome {
  return { ok: false, code, detail };
}

/**
 * Reads the header row (found on `headerLine`): a `timestamp` and a `value` column (any case, any
 * position) and one filter column per other name. `filter:NAME` names the filter NAME, as the
 * export writes a key that is itself called timestamp or value.
 */
export function csvRowParser(headerText: string, metric: string, headerLine = 1): RowParser {
  const refuseHeader = (problem: string): ImportFileError =>
    new ImportFileError(`line ${headerLine}: ${problem}`);
  const header = splitCsvRecord(headerText);
  if (!Array.isArray(header)) throw refuseHeader(`bad CSV header: ${header.error}`);
  const names = header.map((name) => unguard(name).trim());
  const lower = names.map((name) => name.toLowerCase());
  const timestampAt = lower.indexOf('timestamp');
  const valueAt = lower.indexOf('value');
  if (timestampAt === -1 || valueAt === -1) {
    throw refuseHeader(
      `the CSV header must name a "timestamp" and a "value" column (then one column per filter), found "${headerText.slice(0, 120)}"`,
    );
  }
  const filterColumns: Array<{ index: number; key: string }> = [];
  const seen = new Set<string>();
  names.forEach((name, index) => {
    if (index === timestampAt || index === valueAt) return;
    const prefixed = /^filter:/i.test(name);
    const key = (prefixed ? name.slice('filter:'.length) : name).trim();
    if (key === '') throw refuseHeader(`column ${index + 1} of the CSV header has no name`);
    const normalised = key.toLowerCase();
    const fixed = !prefixed && (normalised === 'timestamp' || normalised === 'value');
    if (fixed || seen.has(normalised)) {
      throw refuseHeader(`the CSV header names the column "${name}" twice`);
    }
    seen.add(normalised);
    filterColumns.push({ index, key });
  });
  const width = names.length;

  return (text) => {
    const fields = splitCsvRecord(text);
    if (!Array.isArray(fields))
      return refuse('VALIDATION_FAILED', `Malformed CSV: ${fields.error}.`);
    if (fields.length !== width) {
      return refuse(
        'VALIDATION_FAILED',
        `Expected ${width} columns (as the header), found ${fields.length}.`,
      );
    }
    const value = parseValueText(fields[valueAt] ?? '');
    if (!value.ok) return value;
    const timestamp = parseTimestampText(fields[timestampAt] ?? '');
    if (!timestamp.ok) return timestamp;
    const event: ImportEvent = { metric, value: value.value, timestamp: timestamp.value };
    for (const { index, key } of filterColumns) {
      const cell = fields[index] ?? '';
      if (cell === '') continue;
      event.filters ??= {};
      event.filters[key] = unguard(cell);
    }
    return { ok: true, event };
  };
}

const NDJSON_FIELDS = new Set(['timestamp', 'value', 'filters', 'metric']);

/**
 * One JSON object per line: `{"timestamp", "value", "filters"?, "metric"?}`. A line's `metric`
 * overrides `defaultMetric`; a value may also be a decimal string ("0.1").
 */
export function ndjsonRowParser(defaultMetric: string | undefined): RowParser {
  return (text) => {
    let row: unknown;
    try {
      row = JSON.parse(markOverlongNumbers(text));
    } catch {
      return refuse('INVALID_JSON', 'The line is not valid JSON.');
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      return refuse(
        'VALIDATION_FAILED',
        'The line must be a JSON object like {"timestamp": …, "value": 1}.',
      );
    }
    for (const field of Object.keys(row)) {
      if (!NDJSON_FIELDS.has(field)) {
        return refuse(
          'VALIDATION_FAILED',
          `Unknown field "${field.slice(0, 40)}"; a line has timestamp, value, filters and metric.`,
        );
      }
    }
    const { timestamp, value, filters, metric } = row as Record<string, unknown>;

    let number: number;
    if (typeof value === 'number') {
      const checked = parseValueText(String(value));
      if (!checked.ok) return checked;
      number = checked.value;
    } else if (typeof value === 'string' && value.startsWith(OVERLONG_NUMBER)) {
      return refuse(
        'VALUE_TOO_PRECISE',
        `${value.slice(OVERLONG_NUMBER.length, OVERLONG_NUMBER.length + 40)} has more than 15 significant digits; values are never rounded.`,
      );
    } else if (typeof value === 'string') {
      const checked = parseValueText(value);
      if (!checked.ok) return checked;
      number = checked.value;
    } else {
      return refuse('VALUE_INVALID', '"value" must be a number (or a decimal string).');
    }

    let ts: string | number;
    if (typeof timestamp === 'number') {
      if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
        return refuse('TIMESTAMP_INVALID', '"timestamp" as a number is whole epoch milliseconds.');
      }
      ts = timestamp;
    } else if (typeof timestamp === 'string') {
      const checked = parseTimestampText(timestamp);
      if (!checked.ok) return checked;
      ts = checked.value;
    } else {
      return refuse(
        'TIMESTAMP_INVALID',
        '"timestamp" is required: ISO 8601 with a zone or epoch milliseconds.',
      );
    }

    let target = defaultMetric;
    if (metric !== undefined) {
      if (typeof metric !== 'string' || metric.trim() === '') {
        return refuse('VALIDATION_FAILED', '"metric" must be a metric id or name.');
      }
      target = metric;
    }
    if (target === undefined) {
      return refuse('VALIDATION_FAILED', 'The line has no "metric" and no --metric was given.');
    }

    const event: ImportEvent = { metric: target, value: number, timestamp: ts };
    if (filters !== undefined && filters !== null) {
      if (typeof filters !== 'object' || Array.isArray(filters)) {
        return refuse('FILTERS_INVALID', '"filters" must be an object of strings.');
      }
      for (const [key, filterValue] of Object.entries(filters)) {
        if (typeof filterValue !== 'string') {
          return refuse(
            'FILTERS_INVALID',
            `Filter "${key.slice(0, 40)}" must have a string value.`,
          );
        }
      }
      if (Object.keys(filters).length > 0) event.filters = filters as Record<string, string>;
    }
    return { ok: true, event };
  };
}
