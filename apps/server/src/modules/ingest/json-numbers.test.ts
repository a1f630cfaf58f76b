import { describe, expect, it } from 'vitest';
import { markOverlongNumbers, OVERLONG_NUMBER } from './json-numbers.js';

describe('markOverlongNumbers', () => {
  it('leaves numbers of up to 15 significant digits alone, however written', () => {
    for (const text of [
      '{"value": 0.53}',
      '{"value": 123456789012.123}',
      '{"value": -999999999999.999}',
      '{"value": 100000000000.000000}',
      '{"value": 0.000001}',
      '{"value": 1e-7}',
      '{"value": 12345678901234.5e2}',
      '{"timestamp": 1795838400000}',
      '[1, 2, 3.5]',
    ]) {
      expect(markOverlongNumbers(text), text).toBe(text);
    }
  });

  it('turns numbers JSON.parse would round into marked strings, sign and exponent included', () => {
    const marked = JSON.parse(
      markOverlongNumbers(
        '{"events": [{"value": 1}, {"value": -99999999999.999999}, {"value": 1.00000000000000001e3}]}',
      ),
    );
    expect(marked.events).toEqual([
      { value: 1 },
      { value: `${OVERLONG_NUMBER}-99999999999.999999` },
      { value: `${OVERLONG_NUMBER}1.00000000000000001e3` },
    ]);
  });

  it('ignores digits inside strings, escaped quotes included', () => {
    for (const text of [
      '{"filters": {"order": "12345678901234567890"}, "value": 1}',
      '{"filters": {"q": "a\\"12345678901234567890"}, "value": 2}',
    ]) {
      expect(markOverlongNumbers(text)).toBe(text);
    }
    const marked = JSON.parse(
      markOverlongNumbers('{"filters": {"q": "\\\\"}, "value": 12345678901234567890}'),
    );
    expect(marked).toEqual({
      filters: { q: '\\' },
      value: `${OVERLONG_NUMBER}12345678901234567890`,
    });
  });
});
