import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRateLimiter } from '../../lib/rate-limiter.js';
import { createServices } from '../../services.js';
import {
  createAppOn,
  createTestApp,
  createTestDatabase,
  DIALECTS,
  TestClock,
  type TestContext,
} from '../../test/harness.js';
import { createIngestRepo } from '../ingest/ingest.repo.js';
import { createIngestService } from '../ingest/ingest.service.js';
import {
  CHROME,
  freshIp,
  metricOf,
  SITE,
  trackerFixture,
  trackerTotals,
} from './tracker.fixtures.js';
import { createTrackerRepo } from './tracker.repo.js';
import { createTrackerService, type TrackerService } from './tracker.service.js';

// The tracker around midnight (UTC): a visitor's day and their events' timestamps agree, and a
// day's salt and visitors are forgotten once it is over, with or without traffic.

const DAY = 86_400_000;

/** A clock that moves on by a millisecond each time it is read, as a busy server's does. */
class SteppingClock extends TestClock {
  override now(): number {
    const now = super.now();
    this.advance(1);
    return now;
  }
}

/** The tracker service of `ctx`'s database and clock, wired as the app wires it. */
function trackerOf(ctx: TestContext): { tracker: TrackerService; drain(): Promise<void> } {
  const { storage, config, clock } = ctx;
  const services = createServices({ storage, config, clock });
  const log = ctx.app.log;
  const ingest = createIngestService({
    repo: createIngestRepo(storage),
    keys: services.keys,
    metrics: services.metrics,
    projects: services.projects,
    limiter: new MemoryRateLimiter(clock),
    clock,
    config,
    log,
  });
  const tracker = createTrackerService({
    repo: createTrackerRepo(storage.db),
    keys: services.keys,
    metrics: services.metrics,
    projects: services.projects,
    ingest,
    limiter: new MemoryRateLimiter(clock),
    clock,
    config: config.tracker,
    log,
  });
  return { tracker, drain: () => ingest.drain() };
}

for (const dialect of DIALECTS) {
  describe(`website tracker around midnight [${dialect}]`, () => {
    const clock = new SteppingClock();
    let ctx: TestContext;
    beforeAll(async () => {
      ctx = await createAppOn(await createTestDatabase(dialect), { clock });
    });
    afterAll(() => ctx.close());

    it('counts a visitor once when their first page view straddles midnight', async () => {
      const f = await trackerFixture(ctx);
      const visitors = await metricOf(ctx, f, 'visitors');
      const midnight = Math.floor(clock.now() / DAY) * DAY + DAY;
      const tries = 40;
      for (let k = 1; k <= tries; k++) {
        // The day ends somewhere inside the first page view; the second is clearly after it.
        const ip = freshIp();
        for (const at of [midnight - k, midnight + 10_000]) {
          clock.set(at);
          const response = await ctx.app.inject({
            method: 'POST',
            url: '/track',
            remoteAddress: ip,
            headers: { 'content-type': 'text/plain', 'user-agent': CHROME, origin: SITE },
            payload: JSON.stringify({ key: f.key.secret, path: '/' }),
          });
          expect(response.statusCode, response.body).toBe(202);
        }
      }
      // Each visitor is a visitor of the new day exactly once. Midnight starts an hour: the
      // blocks of the hours from it on hold exactly the events from it on.
      const counted = await ctx.storage.db
        .selectFrom('eventBlocks')
        .select((eb) => eb.fn.sum<string | number>('count').as('n'))
        .where('metricId', '=', visitors.id)
        .where('hour', '>=', midnight)
        .executeTakeFirstOrThrow();
      expect(Number(counted.n)).toBe(tries);
    });
  });

  describe(`website tracker: clean-up of past days [${dialect}]`, () => {
    let ctx: TestContext;
    let wired: ReturnType<typeof trackerOf>;
    beforeAll(async () => {
      ctx = await createTestApp(dialect);
      wired = trackerOf(ctx);
    });
    afterAll(async () => {
      await wired.drain();
      await ctx.close();
    });

    it('deletes a past day’s salt and visitors without any traffic, and forgets them in memory', async () => {
      const f = await trackerFixture(ctx);
      const { tracker } = wired;
      const visit = {
        body: { key: f.key.secret, path: '/' },
        origin: SITE,
        ip: freshIp(),
        userAgent: CHROME,
        privacySignal: false,
      };
      expect((await tracker.track(visit)).status).toBe(202);
      expect((await tracker.track(visit)).status).toBe(202);
      expect(await trackerTotals(ctx, f)).toEqual({ pageviews: 2, visitors: 1 });
      const db = ctx.storage.db;
      const [salt] = await db.selectFrom('trackerSalts').selectAll().execute();
      expect(salt).toBeDefined();

      // The next day, with no page view at all: the sweep alone deletes yesterday.
      const yesterday = ctx.clock.now();
      ctx.clock.set(Math.floor(yesterday / DAY) * DAY + DAY + 60_000);
      await tracker.purgeExpired();
      expect(await db.selectFrom('trackerSalts').selectAll().execute()).toEqual([]);
      expect(
        await db
          .selectFrom('trackerVisitors')
          .selectAll()
          .where('projectId', '=', f.project.id)
          .execute(),
      ).toEqual([]);

      // Were yesterday's salt and visitors still in memory, a page view stamped yesterday (a clock
      // stepping back) would find the visitor there; it finds nothing: a new salt, a new visitor.
      ctx.clock.set(yesterday);
      expect((await tracker.track(visit)).status).toBe(202);
      expect(await trackerTotals(ctx, f)).toEqual({ pageviews: 3, visitors: 2 });
      const salts = await db.selectFrom('trackerSalts').selectAll().execute();
      expect(salts).toHaveLength(1);
      expect(salts[0]?.salt).not.toBe(salt?.salt);
    });
  });
}
