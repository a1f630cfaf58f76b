import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { type Insertable, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventBlocksTable } from '../../storage/schema.js';
import { call, createMetric, createProject, signUp } from '../../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../../test/harness.js';
import { type BlockEventInput, encodeBlock } from '../ingest/event-block.js';

const EVENTS = 1_000_000;
const BASE = Date.UTC(2026, 0, 1);
const MB = 1024 * 1024;
/**
 * Growth allowed while the whole export goes through the process (server and client both).
 * Held in memory, the CSV alone would be about 37 MB and its rows several times that.
 */
const MAX_RSS_GROWTH = 100 * MB;
const MAX_HEAP_GROWTH = 50 * MB;

/**
 * Event n: one second apart, value n + 0.25, every other one with plan=pro. Straight into the
 * table, in blocks of 10 minutes, the even events and the odd ones apart (as if sent with two
 * keys): blocks overlap in pairs, and the export interleaves them.
 */
async function insertEvents(ctx: TestContext, projectId: string, metricId: string): Promise<void> {
  const WINDOW = 600;
  let rows: Insertable<EventBlocksTable>[] = [];
  for (let start = 0; start < EVENTS; start += WINDOW) {
    for (const parity of [0, 1]) {
      const events: BlockEventInput[] = [];
      for (let n = start + parity; n < Math.min(start + WINDOW, EVENTS); n += 2) {
        events.push({
          ts: BASE + n * 1000,
          micros: BigInt(n) * 1_000_000n + 250_000n,
          filtersJson: n % 2 === 0 ? '{"plan":"pro"}' : '{}',
        });
      }
      const block = encodeBlock(events);
      rows.push({
        metricId,
        projectId,
        keyId: `key-${parity}`,
        receivedAt: BASE,
        hour: block.firstTs - (block.firstTs % 3_600_000),
        ...block,
      });
    }
    if (rows.length >= 200) {
      await ctx.storage.db.insertInto('eventBlocks').values(rows).execute();
      rows = [];
    }
  }
  if (rows.length > 0) await ctx.storage.db.insertInto('eventBlocks').values(rows).execute();
  await ctx.storage.db
    .insertInto('metricFilterValues')
    .values({ metricId, key: 'plan', value: 'pro', firstSeenAt: BASE })
    .execute();
}

/** Database reads in progress: busy PostgreSQL sessions, or connections to the SQLite file. */
async function openReads(ctx: TestContext): Promise<number> {
  const { database } = ctx.config;
  if (database.dialect === 'postgres') {
    const { rows } = await sql<{ busy: number }>`select count(*)::int as busy from pg_stat_activity
      where datname = current_database() and state <> 'idle' and pid <> pg_backend_pid()`.execute(
      ctx.storage.db,
    );
    return rows[0]?.busy ?? 0;
  }
  // Linux: each connection holds the WAL open (SQLite may keep a closed one's database file).
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === `${database.file}-wal`;
    } catch {
      return false;
    }
  }).length;
}

function line(n: number): string {
  const time = new Date(BASE + n * 1000).toISOString();
  return `${time},${n}.25,${n % 2 === 0 ? 'pro' : ''}`;
}

for (const dialect of DIALECTS) {
  describe(`export of ${EVENTS.toLocaleString('en')} events [${dialect}]`, () => {
    let ctx: TestContext;
    let url: string;
    let headers: Record<string, string>;

    beforeAll(async () => {
      ctx = await createTestApp(dialect);
      const owner = await signUp(ctx.app);
      const project = await createProject(ctx.app, owner);
      const metric = await createMetric(ctx.app, owner, project.id, {
        name: 'bulk',
        type: 'basic',
      });
      const key = await call(ctx.app, 'POST', `/api/projects/${project.id}/keys`, {
        session: owner,
        body: { name: 'export', scope: 'read' },
      });
      headers = { authorization: `Bearer ${key.json().key.secret}` };
      await insertEvents(ctx, project.id, metric.id);
      await ctx.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = ctx.app.server.address() as AddressInfo;
      url = `http://127.0.0.1:${port}/api/projects/${project.id}/metrics/bulk/events?from=${BASE}&to=${BASE + EVENTS * 1000}`;
    }, 120_000);
    afterAll(async () => {
      // fetch may hold a spare connection that never sends a request: the server would wait for
      // it (until its headers timeout) before closing.
      ctx.app.server.closeAllConnections();
      await ctx.close();
    });

    it('streams every event over a socket in flat memory', async () => {
      const start = process.memoryUsage();
      let peakRss = start.rss;
      let peakHeap = start.heapUsed;
      const sampler = setInterval(() => {
        const now = process.memoryUsage();
        peakRss = Math.max(peakRss, now.rss);
        peakHeap = Math.max(peakHeap, now.heapUsed);
      }, 10);
      let lines = 0;
      let bytes = 0;
      let head = '';
      let tail = new Uint8Array();
      try {
        const response = await fetch(url, { headers });
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
        const reader = (response.body as ReadableStream<Uint8Array>).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (let i = value.indexOf(10); i !== -1; i = value.indexOf(10, i + 1)) lines++;
          if (bytes < 200) head += Buffer.from(value.subarray(0, 200)).toString();
          bytes += value.length;
          tail = value.length >= 200 ? value.slice(-200) : Buffer.concat([tail, value]).slice(-200);
        }
      } finally {
        clearInterval(sampler);
      }
      const rssGrowth = peakRss - start.rss;
      const heapGrowth = peakHeap - start.heapUsed;
      console.log(
        `[${dialect}] ${(bytes / MB).toFixed(1)} MB of CSV; peak RSS +${(rssGrowth / MB).toFixed(1)} MB, peak heap +${(heapGrowth / MB).toFixed(1)} MB`,
      );
      expect(lines).toBe(EVENTS + 1);
      expect(head.split('\r\n').slice(0, 3)).toEqual(['timestamp,value,plan', line(0), line(1)]);
      expect(Buffer.from(tail).toString().split('\r\n').slice(-3)).toEqual([
        line(EVENTS - 2),
        line(EVENTS - 1),
        '',
      ]);
      expect(rssGrowth).toBeLessThan(MAX_RSS_GROWTH);
      expect(heapGrowth).toBeLessThan(MAX_HEAP_GROWTH);
    }, 60_000);

    it('runs at most 4 exports at once, and answers 503 with Retry-After past that', async () => {
      const idle = await openReads(ctx);
      const controllers = Array.from({ length: 4 }, () => new AbortController());
      try {
        // Four downloads that started and are not read: each holds its slot.
        const held = await Promise.all(
          controllers.map((c) => fetch(url, { headers, signal: c.signal })),
        );
        expect(held.map((r) => r.status)).toEqual([200, 200, 200, 200]);
        const fifth = await fetch(url, { headers });
        expect(fifth.status).toBe(503);
        expect(fifth.headers.get('retry-after')).toBe('5');
        expect(((await fifth.json()) as { code: string }).code).toBe('OVERLOADED');
        // Charts still answer meanwhile: the held exports do not take every connection.
        const series = await fetch(url.replace(/\/events\?.*$/, '/series?range=today'), {
          headers,
        });
        expect(series.status).toBe(200);
      } finally {
        for (const c of controllers) c.abort();
      }
      // Every slot and database read is given back.
      await expect.poll(() => openReads(ctx), { timeout: 10_000 }).toBe(idle);
      const after = await fetch(url.replace(/to=\d+/, `to=${BASE + 1000}`), { headers });
      expect(after.status).toBe(200);
      await after.text();
    }, 30_000);

    it('stops reading the database when the client goes away', async () => {
      const idle = await openReads(ctx);
      const controller = new AbortController();
      const response = await fetch(url, { headers, signal: controller.signal });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      let received = 0;
      while (received < 1_000_000) {
        const { value, done } = await reader.read();
        if (done) throw new Error('the export ended before the client left');
        received += value.length;
      }
      try {
        expect(await openReads(ctx)).toBe(idle + 1);
      } finally {
        controller.abort();
      }
      await expect.poll(() => openReads(ctx), { timeout: 5_000 }).toBe(idle);
      // The app is still serving exports afterwards.
      const again = await fetch(url.replace(/to=\d+/, `to=${BASE + 1000}`), { headers });
      expect(await again.text()).toBe(`timestamp,value,plan\r\n${line(0)}\r\n`);
    }, 30_000);
  });
}
