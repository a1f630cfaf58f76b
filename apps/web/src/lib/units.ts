import type { Unit } from '../api/types';
import { formatValue, type NumberFormatOptions } from './format';

const CURRENCIES = new Set(['$', '€', '£']);

/**
 * formatValue, with money written as money: "$1,769.40" rather than "$1,769.4" once there are
 * cents (whole amounts stay "$1,200"; compact axes stay "$1.2K").
 */
export function formatAmount(
  value: number | null | undefined,
  unit: Unit | null | undefined,
  options: NumberFormatOptions = {},
): string {
  const cents =
    unit !== null &&
    unit !== undefined &&
    CURRENCIES.has(unit.symbol) &&
    !options.compact &&
    typeof value === 'number' &&
    !Number.isInteger(value);
  return formatValue(value, unit, cents ? { minDecimals: 2, maxDecimals: 2, ...options } : options);
}
