import { UsageError } from '../command.js';

/** Why one row of an import (or a `push` argument) is refused before anything is sent. */
export interface FieldProblem {
  readonly code: string;
  readonly detail: string;
}

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | ({ readonly ok: false } & FieldProblem);

/** The server's limits of one value (docs/ingestion.md). */
const MAX_DECIMALS = 6;
const MAX_SIGNIFICANT_DIGITS = 15;
const MAX_ABS_VALUE = 1e12;

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,6}))?$/;
/** The forms the server reads (ISO 8601 with a zone); the server then checks the day exists. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const EPOCH_MS = /^\d{1,16}$/;

function refuse(code: string, detail: string): { ok: false; code: string; detail: string } {
  return { ok: false, code, detail };
}

/**
 * Reads a decimal such as `0.53`, `-42.5` or `1.5e3` into the JS number that JSON-serialises back
 * to the same decimal. That holds for up to 15 significant digits; a longer value would be rounded
 * silently, so it is refused here, as the server refuses more than 6 decimals.
 */
export function parseValueText(text: string): Parsed<number> {
  const trimmed = text.trim();
  const match = DECIMAL.exec(trimmed);
  const [, , whole = '', fraction = '', exponent = '0'] = match ?? [];
  if (match === null || whole + fraction === '') {
    return refuse('VALUE_INVALID', `"${text.slice(0, 40)}" is not a decimal number.`);
  }
  let digits = whole + fraction;
  let point = whole.length + Number(exponent);
  const leadingZeros = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(leadingZeros).replace(/0+$/, '');
  point -= leadingZeros;
  const decimals = Math.max(0, digits.length - point);
  if (digits.length > MAX_SIGNIFICANT_DIGITS || decimals > MAX_DECIMALS) {
    return refuse(
      'VALUE_TOO_PRECISE',
      `"${text.slice(0, 40)}" has more than ${MAX_DECIMALS} decimal places or ${MAX_SIGNIFICANT_DIGITS} significant digits; values are never rounded.`,
    );
  }
  const value = digits === '' ? 0 : Number(trimmed);
  if (!(Math.abs(value) < MAX_ABS_VALUE)) {
    return refuse(
      'VALUE_OUT_OF_RANGE',
      `"${text.slice(0, 40)}" is not smaller than 10^12 in absolute value.`,
    );
  }
  return { ok: true, value: Object.is(value, -0) ? 0 : value };
}

/** ISO 8601 with a zone (kept as text) or whole epoch milliseconds (as a number). */
export function parseTimestampText(text: string): Parsed<string | number> {
  const trimmed = text.trim();
  if (trimmed === '') return refuse('TIMESTAMP_INVALID', 'The timestamp is empty.');
  if (EPOCH_MS.test(trimmed)) {
    const ms = Number(trimmed);
    if (Number.isSafeInteger(ms)) return { ok: true, value: ms };
  } else if (ISO_8601.test(trimmed)) {
    return { ok: true, value: trimmed };
  }
  return refuse(
    'TIMESTAMP_INVALID',
    `"${trimmed.slice(0, 40)}" is neither ISO 8601 with a zone (2026-11-28T10:00:00Z) nor epoch milliseconds.`,
  );
}

/** `key=value` arguments of `--filter` (repeated), as an event's filters. */
export function parseFilterArgs(values: unknown): Record<string, string> {
  const pairs = Array.isArray(values) ? (values as string[]) : [];
  const filters: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--filter takes key=value, not "${pair}"`);
    const key = pair.slice(0, eq);
    if (Object.hasOwn(filters, key)) throw new UsageError(`--filter ${key} is given twice`);
    filters[key] = pair.slice(eq + 1);
  }
  return filters;
}
