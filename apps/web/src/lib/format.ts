import type { Unit } from '../api/types';

const formatters = new Map<string, Intl.NumberFormat>();

function formatter(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = JSON.stringify(options);
  let cached = formatters.get(key);
  if (cached === undefined) {
    cached = new Intl.NumberFormat('en-US', options);
    formatters.set(key, cached);
  }
  return cached;
}

/** Symbols written before the number, with no space: $12.50. */
const PREFIX_SYMBOLS = new Set(['$', '€', '£', '¥']);
/** Symbols written right after the number: 12%. */
const TIGHT_SUFFIXES = new Set(['%']);

export interface NumberFormatOptions {
  /** 1.2K, 3.4M: for headlines and axes. */
  compact?: boolean;
  /** Most decimals shown (default: 2, or 1 when compact). */
  maxDecimals?: number;
  /** Fewest decimals shown (default 0). */
  minDecimals?: number;
  /** `+` before positive numbers (changes, deltas). */
  signed?: boolean;
}

/** 1234.5 → "1,234.5"; null → "—". */
export function formatNumber(
  value: number | null | undefined,
  options: NumberFormatOptions = {},
): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const { compact = false, signed = false, minDecimals = 0 } = options;
  const maxDecimals = Math.max(options.maxDecimals ?? (compact ? 1 : 2), minDecimals);
  return formatter({
    notation: compact && Math.abs(value) >= 10_000 ? 'compact' : 'standard',
    maximumFractionDigits: maxDecimals,
    minimumFractionDigits: minDecimals,
    signDisplay: signed ? 'exceptZero' : 'auto',
  }).format(value);
}

/** A number with its unit, placed as people write it: "$1,234.50", "12%", "340 ms". */
export function formatValue(
  value: number | null | undefined,
  unit: Unit | null | undefined,
  options: NumberFormatOptions = {},
): string {
  const currency = unit !== null && unit !== undefined && PREFIX_SYMBOLS.has(unit.symbol);
  const number = formatNumber(value, currency ? { minDecimals: 0, ...options } : options);
  if (unit === null || unit === undefined || number === '—') return number;
  if (currency) {
    return number.startsWith('-') || number.startsWith('+')
      ? `${number[0]}${unit.symbol}${number.slice(1)}`
      : `${unit.symbol}${number}`;
  }
  if (TIGHT_SUFFIXES.has(unit.symbol)) return `${number}${unit.symbol}`;
  return `${number}\u00a0${unit.symbol}`;
}

/** A change in percent: "+12.5%", "-3%", or "—" when there is nothing to compare with. */
export function formatPercentChange(change: number | null | undefined): string {
  if (change === null || change === undefined || !Number.isFinite(change)) return '—';
  return `${formatNumber(change, { signed: true, maxDecimals: Math.abs(change) < 10 ? 1 : 0 })}%`;
}

/** "1 event", "1,204 events". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatNumber(count)} ${count === 1 ? one : many}`;
}

const dateFormat = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium' });
const dateTimeFormat = new Intl.DateTimeFormat('en-US', {
  dateStyle: 'medium',
  timeStyle: 'short',
});

/** "Nov 28, 2026". */
export function formatDate(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '—' : dateFormat.format(date);
}

/** "Nov 28, 2026, 10:04 AM". */
export function formatDateTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '—' : dateTimeFormat.format(date);
}

const relative = new Intl.RelativeTimeFormat('en-US', { numeric: 'auto' });
const STEPS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Number.POSITIVE_INFINITY],
];

/** "3 minutes ago", "yesterday", "never" for null. */
export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  if (iso === null || iso === undefined) return 'never';
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return '—';
  let amount = (then - now) / 1000;
  if (Math.abs(amount) < 45) return 'just now';
  for (const [unit, size] of STEPS) {
    if (Math.abs(amount) < size) return relative.format(Math.round(amount), unit);
    amount /= size;
  }
  return relative.format(Math.round(amount), 'year');
}

/** Avatar colours whose darkest shade reads at 4.5:1 or more on their lightest (WCAG AA). */
const AVATAR_COLORS = ['indigo', 'violet', 'grape', 'pink', 'blue', 'cyan', 'red'] as const;

/** A stable avatar colour for a name, among those that keep the initials readable. */
export function avatarColor(name: string): (typeof AVATAR_COLORS)[number] {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) >>> 0;
  return AVATAR_COLORS[hash % AVATAR_COLORS.length] ?? 'indigo';
}
