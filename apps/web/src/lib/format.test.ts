import { describe, expect, it } from 'vitest';
import {
  formatDate,
  formatNumber,
  formatPercentChange,
  formatRelative,
  formatValue,
  plural,
} from './format';

describe('formatNumber', () => {
  it('groups thousands and keeps at most two decimals', () => {
    expect(formatNumber(1234567.891)).toBe('1,234,567.89');
    expect(formatNumber(0.5)).toBe('0.5');
    expect(formatNumber(-42)).toBe('-42');
  });

  it('shows a dash for what is not a number', () => {
    expect(formatNumber(null)).toBe('—');
    expect(formatNumber(undefined)).toBe('—');
    expect(formatNumber(Number.NaN)).toBe('—');
    expect(formatNumber(Number.POSITIVE_INFINITY)).toBe('—');
  });

  it('shortens large numbers when compact, not small ones', () => {
    expect(formatNumber(1_234_567, { compact: true })).toBe('1.2M');
    expect(formatNumber(48_200, { compact: true })).toBe('48.2K');
    expect(formatNumber(9_999, { compact: true })).toBe('9,999');
  });

  it('signs changes', () => {
    expect(formatNumber(12, { signed: true })).toBe('+12');
    expect(formatNumber(0, { signed: true })).toBe('0');
  });
});

describe('formatValue', () => {
  it('puts currency symbols first and keeps the sign outside', () => {
    expect(formatValue(1234.5, { name: 'US dollar', symbol: '$' }, { minDecimals: 2 })).toBe(
      '$1,234.50',
    );
    expect(formatValue(-3, { name: 'Euro', symbol: '€' })).toBe('-€3');
  });

  it('writes % right after the number and other units after a no-break space', () => {
    expect(formatValue(12.5, { name: 'Percent', symbol: '%' })).toBe('12.5%');
    expect(formatValue(340, { name: 'Milliseconds', symbol: 'ms' })).toBe('340\u00a0ms');
  });

  it('shows the number alone without a unit, and no unit without a number', () => {
    expect(formatValue(3, null)).toBe('3');
    expect(formatValue(null, { name: 'Percent', symbol: '%' })).toBe('—');
  });
});

describe('other formats', () => {
  it('formats a change in percent', () => {
    expect(formatPercentChange(12.345)).toBe('+12%');
    expect(formatPercentChange(-3.25)).toBe('-3.3%');
    expect(formatPercentChange(null)).toBe('—');
  });

  it('counts with the right noun', () => {
    expect(plural(1, 'event')).toBe('1 event');
    expect(plural(1204, 'event')).toBe('1,204 events');
    expect(plural(2, 'key', 'keys')).toBe('2 keys');
  });

  it('says how long ago', () => {
    const now = Date.UTC(2026, 10, 28, 12);
    expect(formatRelative(null, now)).toBe('never');
    expect(formatRelative(new Date(now - 10_000).toISOString(), now)).toBe('just now');
    expect(formatRelative(new Date(now - 5 * 60_000).toISOString(), now)).toBe('5 minutes ago');
    expect(formatRelative(new Date(now - 26 * 3_600_000).toISOString(), now)).toBe('yesterday');
  });

  it('formats a date, or a dash for a bad one', () => {
    expect(formatDate('2026-11-28T12:00:00Z')).toBe('Nov 28, 2026');
    expect(formatDate('not a date')).toBe('—');
  });
});
