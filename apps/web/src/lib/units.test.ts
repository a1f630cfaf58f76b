import { describe, expect, it } from 'vitest';
import { formatAmount } from './units';

const usd = { name: 'US dollar', symbol: '$' };

describe('formatAmount', () => {
  it('writes cents once there are any', () => {
    expect(formatAmount(1769.4, usd)).toBe('$1,769.40');
    expect(formatAmount(-3.5, usd)).toBe('-$3.50');
    expect(formatAmount(1200, usd)).toBe('$1,200');
  });

  it('leaves compact axes and other units alone', () => {
    expect(formatAmount(12_500.5, usd, { compact: true })).toBe('$12.5K');
    expect(formatAmount(183.266, { name: 'Milliseconds', symbol: 'ms' })).toBe('183.27\u00a0ms');
    expect(formatAmount(null, usd)).toBe('—');
  });
});
