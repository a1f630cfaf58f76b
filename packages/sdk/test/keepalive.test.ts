import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchEvent } from '../src/index.js';
import { planKeepalive } from '../src/keepalive.js';
import { KEEPALIVE_MAX_BYTES, sendRequest, type TransportOptions } from '../src/transport.js';
import { DIALECTS, type LiveServer, startServer, type Tenant } from './server.js';

const utf8 = (text: string) => new TextEncoder().encode(text).byteLength;
const eventBytes = (event: BatchEvent) => utf8(JSON.stringify(event));
/** The body the client sends for these events. */
const bodyBytes = (events: readonly BatchEvent[]) => utf8(JSON.stringify({ events }));

/** Applies a plan to the events: the requests it describes. */
function requests(events: BatchEvent[], maxEvents: number, budget: number) {
  const plan = planKeepalive(events.map(eventBytes), maxEvents, budget);
  let offset = 0;
  return plan.map((group) => {
    const chunk = events.slice(offset, offset + group.count);
    offset += group.count;
    return { keepalive: group.keepalive, count: chunk.length, bytes: bodyBytes(chunk) };
  });
}

describe('planKeepalive: the requests of a page leave', () => {
  // Two bytes per "é": the byte size is twice the character count.
  const accented = (count: number): BatchEvent[] =>
    Array.from({ length: count }, (_, i) => ({
      metric: 'clicks',
      value: i + 1,
      filters: { note: 'é'.repeat(100) },
    }));

  it('takes every event, in order, at most maxEvents per request', () => {
    const events = accented(250);
    const sent = requests(events, 100, KEEPALIVE_MAX_BYTES);
    expect(sent.map((request) => request.count)).toEqual([100, 100, 50]);
    expect(sent.every((request) => request.keepalive)).toBe(true);
    expect(sent.reduce((sum, request) => sum + request.bytes, 0)).toBeLessThanOrEqual(
      KEEPALIVE_MAX_BYTES,
    );
  });

  it('counts bytes, not characters: keepalive bodies stay within 64 KiB in all', () => {
    const events = accented(400);
    const chars = JSON.stringify({ events }).length;
    const bytes = bodyBytes(events);
    expect(bytes).toBeGreaterThan(KEEPALIVE_MAX_BYTES);
    expect(chars).toBeLessThan(bytes * 0.7);
    const sent = requests(events, 100, KEEPALIVE_MAX_BYTES);
    expect(sent.reduce((sum, request) => sum + request.count, 0)).toBe(400);
    const kept = sent.filter((request) => request.keepalive);
    const keptBytes = kept.reduce((sum, request) => sum + request.bytes, 0);
    expect(keptBytes).toBeLessThanOrEqual(KEEPALIVE_MAX_BYTES);
    // The budget is used up, not wasted: the next event would not have fitted in a request.
    const next = events[kept.reduce((sum, request) => sum + request.count, 0)] as BatchEvent;
    expect(keptBytes + bodyBytes([next])).toBeGreaterThan(KEEPALIVE_MAX_BYTES);
    // Keepalive first, the rest after it without (order kept), never more than maxEvents.
    const firstPlain = sent.findIndex((request) => !request.keepalive);
    expect(firstPlain).toBeGreaterThan(0);
    expect(sent.slice(firstPlain).every((request) => !request.keepalive)).toBe(true);
    expect(sent.every((request) => request.count <= 100)).toBe(true);
  });

  it('leaves out of keepalive what no longer fits, including a single oversized event', () => {
    const huge: BatchEvent = { metric: 'm', value: 1, filters: { a: 'x'.repeat(70_000) } };
    const small: BatchEvent = { metric: 'm', value: 1 };
    expect(requests([huge, small], 100, KEEPALIVE_MAX_BYTES)).toEqual([
      { keepalive: false, count: 2, bytes: bodyBytes([huge, small]) },
    ]);
    expect(
      requests([small, huge, small], 100, KEEPALIVE_MAX_BYTES).map((r) => r.keepalive),
    ).toEqual([true, false]);
    // Another keepalive request already in flight leaves less room.
    expect(requests([small, small], 100, 10).map((r) => r.keepalive)).toEqual([false]);
    expect(planKeepalive([], 100, KEEPALIVE_MAX_BYTES)).toEqual([]);
  });
});

for (const dialect of DIALECTS) {
  describe(`keepalive requests against a real server [${dialect}]`, () => {
    let server: LiveServer;
    let tenant: Tenant;

    beforeAll(async () => {
      server = await startServer(dialect);
      tenant = await server.createTenant();
    });
    afterAll(() => server.close());

    it('asks for keepalive only when the body fits in 64 KiB of UTF-8', async () => {
      const metric = await server.createMetric(tenant);
      const asked: boolean[] = [];
      const transport: TransportOptions = {
        apiKey: tenant.ingestKey,
        baseUrl: server.url,
        timeoutMs: 10_000,
        maxRetries: 0,
        initialDelayMs: 1,
        maxDelayMs: 1,
        maxRetryAfterMs: 1,
        fetch: (input, init) => {
          asked.push(init?.keepalive === true);
          return fetch(input, init as RequestInit);
        },
      };
      // Ten filters of 100 characters each per event.
      const batch = (char: string, count: number) => ({
        events: Array.from({ length: count }, () => ({
          metric: metric.name,
          value: 1,
          filters: Object.fromEntries(
            Array.from({ length: 10 }, (_, i) => [`note${i}`, char.repeat(100)]),
          ),
        })),
      });
      // 25 events of "€": about 28,000 characters but 78,000 bytes.
      const euros = batch('€', 25);
      expect(JSON.stringify(euros).length).toBeLessThan(30_000);
      expect(utf8(JSON.stringify(euros))).toBeGreaterThan(KEEPALIVE_MAX_BYTES);
      const ascii = batch('e', 25);
      expect(utf8(JSON.stringify(ascii))).toBeLessThan(KEEPALIVE_MAX_BYTES);
      for (const body of [euros, ascii]) {
        const response = await sendRequest<{ accepted: number }>(transport, {
          method: 'POST',
          path: '/event/v1/batch',
          body,
          keepalive: true,
          idempotencyKey: crypto.randomUUID(),
        });
        expect(response.body.accepted).toBe(25);
      }
      expect(asked).toEqual([false, true]);
      expect(await server.totals(tenant, metric.id)).toEqual({ total: 50, eventCount: 50 });
    });
  });
}
