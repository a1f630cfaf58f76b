import { describe, expect, it } from 'vitest';
import { decodeBlock } from './event-block.js';
import { parseFilters } from './event-input.js';
import type { PendingEvent, PendingRequest } from './ingest.repo.js';
import { filtersJson, WritePlan } from './write-plan.js';

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

describe('WritePlan.blocks', () => {
  const HOUR = 3_600_000;
  const T = Date.UTC(2026, 10, 28, 12);
  const event = (
    metricId: string,
    ts: number,
    micros: bigint,
    filters: Record<string, string> = {},
  ) => {
    const parsed = parseFilters(filters);
    return { metricId, ts, micros, filters: parsed, filtersJson: filtersJson(parsed) };
  };
  const request = (keyId: string, events: PendingEvent[]): PendingRequest => ({
    projectId: 'p',
    keyId,
    quota: null,
    events,
  });

  it('packs the accepted events of each (metric, key, UTC hour), sorted by ts', () => {
    const plan = new WritePlan([
      request('k1', [
        event('m1', T + 10, 1n),
        event('m1', T + HOUR, 2n),
        event('m2', T + 5, 3n),
        event('m1', T, 4n, { plan: 'pro' }),
        event('m1', T - 1, 5n),
      ]),
      request('k2', [event('m1', T + 20, 6n)]),
      request('k1', [event('m1', T + 30, 7n), event('m1', T + 40, 8n)]),
    ]);
    plan.reject(2, 1, 'QUOTA_EXCEEDED', 'over');
    const blocks = plan.blocks().map((b) => ({
      ...b,
      events: decodeBlock(b.firstTs, b.events).map((e) => `${e.ts - T}:${e.value}:${e.filters}`),
    }));
    const common = { projectId: 'p', hour: T, metricId: 'm1' };
    expect(blocks).toEqual([
      {
        ...common,
        keyId: 'k1',
        firstTs: T,
        lastTs: T + 30,
        count: 3,
        events: ['0:4:{"plan":"pro"}', '10:1:{}', '30:7:{}'],
      },
      {
        ...common,
        keyId: 'k1',
        hour: T + HOUR,
        firstTs: T + HOUR,
        lastTs: T + HOUR,
        count: 1,
        events: [`${HOUR}:2:{}`],
      },
      {
        ...common,
        keyId: 'k1',
        metricId: 'm2',
        firstTs: T + 5,
        lastTs: T + 5,
        count: 1,
        events: ['5:3:{}'],
      },
      {
        ...common,
        keyId: 'k1',
        hour: T - HOUR,
        firstTs: T - 1,
        lastTs: T - 1,
        count: 1,
        events: ['-1:5:{}'],
      },
      { ...common, keyId: 'k2', firstTs: T + 20, lastTs: T + 20, count: 1, events: ['20:6:{}'] },
    ]);
  });

  it('stores nothing of a duplicate request or of a commit without accepted events', () => {
    const plan = new WritePlan([request('k1', [event('m1', T, 1n)])]);
    plan.settleClaim(0, false);
    expect(plan.blocks()).toEqual([]);
  });
});
