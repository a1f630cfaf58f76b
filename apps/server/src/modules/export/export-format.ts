import { formatMicros } from '../../lib/decimal.js';

/** One stored event as the export reads it. */
export interface EventRow {
  /** Epoch ms. */
  readonly ts: number;
  /** Micro-units as decimal text: exact beyond 2^53. */
  readonly value: string;
  /** Canonical JSON of the filters, `{}` when none. */
  readonly filters: string;
}

const FIXED_COLUMNS = new Set(['timestamp', 'value']);
const NEEDS_QUOTES = /[",\r\n]/;
/**
 * What a spreadsheet would run as a formula (OWASP "CSV injection"), or text that already starts
 * like a guarded one (`'=x`): guarding it too lets a reader drop exactly one `'` to undo the guard.
 */
const FORMULA_START = /^'*[=+\-@]/;

/** RFC 4180 quoting, and a leading `'` on text a spreadsheet would evaluate. */
export function csvCell(text: string): string {
  const inert = FORMULA_START.test(text) ? `'${text}` : text;
  return NEEDS_QUOTES.test(inert) ? `"${inert.replaceAll('"', '""')}"` : inert;
}

/** `timestamp,value` then one column per filter key; a key named like a fixed column gets `filter:`. */
export function csvHeader(keys: readonly string[]): string {
  const columns = keys.map((key) => csvCell(FIXED_COLUMNS.has(key) ? `filter:${key}` : key));
  return `${['timestamp', 'value', ...columns].join(',')}\r\n`;
}

export function csvLines(rows: readonly EventRow[], keys: readonly string[]): string {
  let text = '';
  for (const row of rows) {
    text += `${new Date(row.ts).toISOString()},${formatMicros(BigInt(row.value))}`;
    if (keys.length > 0) {
      const filters =
        row.filters === '{}' ? {} : (JSON.parse(row.filters) as Record<string, string>);
      for (const key of keys) {
        // Own keys only: a filter may be called "constructor".
        text += Object.hasOwn(filters, key) ? `,${csvCell(String(filters[key]))}` : ',';
      }
    }
    text += '\r\n';
  }
  return text;
}

/** The value is a JSON number written with its exact decimals; the filters are stored JSON. */
export function ndjsonLines(rows: readonly EventRow[]): string {
  let text = '';
  for (const row of rows) {
    text += `{"timestamp":"${new Date(row.ts).toISOString()}","value":${formatMicros(BigInt(row.value))},"filters":${row.filters}}\n`;
  }
  return text;
}
