import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../lib/tokens.js';
import {
  type BatchParams,
  NOT_A_METRIC_REF,
  NOT_AN_OBJECT,
  prepareBatch,
  prepareBatchText,
} from './batch-input.js';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const PARAMS: BatchParams = {
  now: NOW,
  backfillMs: 365 * 86_400_000,
  maxEvents: 1_000,
  fingerprint: false,
};

describe('prepareBatch', () => {
  it.each([
    ['not JSON', '{"events": [', 'INVALID_JSON'],
    ['a prototype key', '{"events": [], "__proto__": {}}', 'INVALID_JSON'],
    ['no events', '{}', 'BATCH_INVALID'],
    ['another field', '{"events": [{"metric": "a", "value": 1}], "extra": 1}', 'BATCH_INVALID'],
    ['events not a list', '{"events": {"metric": "a"}}', 'BATCH_INVALID'],
    ['an empty list', '{"events": []}', 'BATCH_INVALID'],
    ['an array body', '[{"metric": "a", "value": 1}]', 'BATCH_INVALID'],
    ['a blank body', '  ', 'BATCH_INVALID'],
  ])('refuses the whole batch for %s', (_name, text, code) => {
    const prepared = prepareBatchText(text, PARAMS);
    expect(prepared.refused?.code).toBe(code);
    expect(prepared.count).toBe(0);
  });

  it('refuses more events than the limit, naming it', () => {
    const events = Array.from({ length: 4 }, () => ({ metric: 'a', value: 1 }));
    const prepared = prepareBatch({ events }, { ...PARAMS, maxEvents: 3 });
    expect(prepared.refused).toEqual({
      code: 'BATCH_INVALID',
      detail: 'A batch holds 1 to 3 events.',
    });
  });

  it("checks each event's own fields, and keeps the accepted ones' values exact", () => {
    const prepared = prepareBatch(
      {
        events: [
          { metric: 'signups', value: 0.53, filters: { ' Country ': 'FR' } },
          5,
          { metric: 7, value: 1 },
          { metric: 'signups', value: 1.0000001 },
          { metric: 'revenue', value: -2, timestamp: NOW - 60_000 },
          { metric: 'signups', value: 1, colour: 'red' },
          { metric: 'signups', value: 3, filters: { country: 'fr' } },
          null,
          { metric: 'x'.repeat(101), value: 1 },
        ],
      },
      PARAMS,
    );
    expect(prepared.refused).toBeUndefined();
    expect(prepared.count).toBe(9);
    expect(prepared.refs).toEqual(['signups', 'revenue']);
    expect([...prepared.refIndex]).toEqual([
      0,
      NOT_AN_OBJECT,
      NOT_A_METRIC_REF,
      0,
      1,
      0,
      0,
      NOT_AN_OBJECT,
      NOT_A_METRIC_REF,
    ]);
    expect(prepared.rejected).toEqual([
      [3, 'VALUE_TOO_PRECISE', expect.any(String)],
      [5, 'VALIDATION_FAILED', expect.stringContaining('"colour"')],
    ]);
    expect(prepared.micros[0]).toBe(530_000n);
    expect(prepared.micros[2]).toBe(1_000_000n);
    expect(prepared.micros[4]).toBe(-2_000_000n);
    expect(prepared.ts[0]).toBe(NOW);
    expect(prepared.ts[4]).toBe(NOW - 60_000);
    // Normalised filters; the same raw filters share one set.
    const setOf = (index: number) => prepared.filterSets[prepared.filterIndex[index] ?? -1];
    expect(setOf(0)).toEqual(['country', 'fr']);
    expect(setOf(6)).toEqual(['country', 'fr']);
    expect(setOf(4)).toEqual([]);
    expect(prepared.filterIndex[3]).toBe(-1);
    expect(prepared.fingerprint).toBeUndefined();
  });

  it('gives the fingerprint of the body when asked', () => {
    const body = { events: [{ metric: 'a', value: 1 }] };
    const prepared = prepareBatchText(JSON.stringify(body, null, 2), {
      ...PARAMS,
      fingerprint: true,
    });
    expect(prepared.fingerprint).toEqual({ hash: sha256Hex(JSON.stringify(body)) });
  });
});
