import { describe, expect, it } from 'vitest';
import { BlockReader, decodeBlock, encodeBlock } from './event-block.js';
import { parseFilters } from './event-input.js';
import { filtersJson } from './write-plan.js';

const T = Date.UTC(2026, 10, 28, 12);
const MAX = 9_223_372_036_854_775_807n;

function event(ts: number, micros: bigint, filters: Record<string, string> = {}) {
  return { ts, micros, filtersJson: filtersJson(parseFilters(filters)) };
}

describe('event blocks', () => {
  it('packs one line per event in ts order, ts as a delta from the first', () => {
    const block = encodeBlock([
      event(T + 317, -42_500_000n),
      event(T, 1_250_000n, { country: 'fr' }),
      event(T + 3_599_999, 1n, { plan: 'pro', country: 'fr' }),
    ]);
    expect(block).toEqual({
      firstTs: T,
      lastTs: T + 3_599_999,
      count: 3,
      events: [
        '0,1250000,{"country":"fr"}',
        '317,-42500000,{}',
        '3599999,1,{"country":"fr","plan":"pro"}',
      ].join('\n'),
    });
  });

  it('keeps events of equal ts in the order given', () => {
    const block = encodeBlock([event(T + 5, 3n), event(T, 1n), event(T + 5, 4n), event(T, 2n)]);
    expect(decodeBlock(block.firstTs, block.events).map((e) => e.value)).toEqual([
      '1',
      '2',
      '3',
      '4',
    ]);
  });

  it('reads back every event exactly: 64-bit values, timestamps before 1970, any filter text', () => {
    const hostile = {
      note: 'a,b',
      path: '/pricing?a=1&b=2,3',
      'a.b': '日本 🚀 {x}',
      z: "it's $5 (50%) #1 ~ !* :}",
    };
    const events = [
      event(-86_400_000 + 1, MAX, hostile),
      event(-86_400_000 + 2, -MAX),
      event(-86_400_000 + 2, 0n, { '$-_/#&*()!~.': ',' }),
    ];
    const block = encodeBlock(events);
    expect(decodeBlock(block.firstTs, block.events)).toEqual(
      events.map((e) => ({ ts: e.ts, value: String(e.micros), filters: e.filtersJson })),
    );
  });

  it('never holds a NUL or a line break inside an event, whatever the filters', () => {
    const block = encodeBlock([
      event(T, 1n, { a: 'x y', b: 'ü\u2028\u2029\u0085z' }),
      event(T + 1, 2n, { c: '🚀' }),
    ]);
    expect(block.events.includes('\u0000')).toBe(false);
    expect(block.events.split('\n')).toHaveLength(2);
  });

  it('reads one event at a time, the next ts known before taking it', () => {
    const block = encodeBlock([event(T, 1n), event(T + 10, 2n), event(T + 20, 3n)]);
    const reader = new BlockReader(block.firstTs, block.events);
    expect([reader.done, reader.ts]).toEqual([false, T]);
    reader.skip();
    expect(reader.ts).toBe(T + 10);
    expect(reader.take()).toEqual({ ts: T + 10, value: '2', filters: '{}' });
    expect(reader.take()).toEqual({ ts: T + 20, value: '3', filters: '{}' });
    expect(reader.done).toBe(true);
  });

  it('refuses an empty block, and a malformed one', () => {
    expect(() => encodeBlock([])).toThrow(RangeError);
    expect(() => decodeBlock(T, '0,1,{}\n-5,2,{}')).toThrow(RangeError);
    expect(() => decodeBlock(T, '12')).toThrow(RangeError);
  });
});
