import { describe, expect, it } from 'vitest';
import { parseFilters } from './event-input.js';
import { filtersJson } from './write-plan.js';

describe('filtersJson', () => {
  it('equals JSON.stringify of the normalised filters, whatever they hold', () => {
    for (const raw of [
      {},
      { country: 'fr' },
      { ' Plan ': ' PRO ', country: 'Côte d’Ivoire', path: '/pricing?a=1&b=2', 'a.b': '日本 🚀' },
      { z: 'last', a: 'first', m: "it's $5 (50%) #1 ~ !*" },
    ]) {
      const filters = parseFilters(raw);
      expect(filtersJson(filters)).toBe(JSON.stringify(Object.fromEntries(filters)));
    }
  });
});
