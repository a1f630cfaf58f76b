import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../../test/assertions.js';
import {
  addMember,
  call,
  createMetric,
  createProject,
  type Session,
  signUp,
  type TestProject,
} from '../../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../../test/harness.js';
import {
  amountsOf,
  batchItems,
  COUNTRIES,
  csvRows,
  DAY,
  everyStep,
  expectedSeries,
  generateEvents,
  HOUR,
  inRange,
  iso,
  kolkataOffset,
  localMidnights,
  METRIC_TYPES,
  type MetricType,
  MINUTE,
  matching,
  monthStarts,
  PLANS,
  parisOffset,
  rankValues,
  type SentEvent,
  t,
  utcOffset,
  weightOf,
} from './query.fixtures.js';

const NOW = t('2026-11-28T12:00:00Z');
const WEEK = 7 * DAY;
const BATCH = 1_000;
const FAST_INGEST = { MEASURELY_RATE_LIMIT: '100000000' };

type Params = Record<string, string>;

interface Metric {
  readonly id: string;
  readonly name: string;
  readonly type: string;
}

/** The generated event set of one metric type: 60-odd days, a dense burst, boundary instants. */
function datasetOf(type: MetricType): SentEvent[] {
  return generateEvents({
    seed: 20261128 + METRIC_TYPES.indexOf(type),
    type,
    from: t('2026-09-20T00:00:00Z'),
    to: NOW,
    count: 420,
    burst: { from: t('2026-11-20T10:00:00Z'), to: t('2026-11-20T12:30:00Z'), count: 150 },
    instants: [
      '2026-10-01T00:00:00Z',
      '2026-10-24T21:59:59.999Z',
      '2026-10-24T22:00:00Z',
      '2026-10-25T23:00:00Z',
      '2026-10-31T18:30:00Z',
      '2026-10-31T23:59:59.999Z',
      '2026-11-01T00:00:00Z',
      '2026-11-01T18:29:59.999Z',
      '2026-11-02T00:00:00Z',
      '2026-11-20T10:59:59.999Z',
      '2026-11-20T11:00:00Z',
    ].map(t),
  });
}

/** One window of the series endpoint, with the boundaries of its previous period and its own. */
interface SeriesCase {
  readonly name: string;
  readonly params: Params;
  readonly granularity: string;
  readonly tz: string;
  /** 2n + 1 instants: the previous period's n buckets, then the range's n. */
  readonly boundaries: readonly number[];
}

const SERIES_CASES: readonly SeriesCase[] = [
  {
    name: 'minute (UTC), from and to aligned outwards',
    params: { from: '2026-11-20T09:59:30Z', to: '2026-11-20T12:30:10Z', granularity: 'minute' },
    granularity: 'minute',
    tz: 'UTC',
    // 09:59 to 12:31: 152 minutes, after the 152 before them.
    boundaries: everyStep(t('2026-11-20T09:59:00Z') - 152 * MINUTE, MINUTE, 304),
  },
  {
    name: 'hour (UTC)',
    params: { from: '2026-11-18T00:00:00Z', to: '2026-11-21T00:00:00Z', granularity: 'hour' },
    granularity: 'hour',
    tz: 'UTC',
    boundaries: everyStep(t('2026-11-15T00:00:00Z'), HOUR, 144),
  },
  {
    name: 'day (UTC), to = now ceiled to the next midnight',
    params: { from: '2026-10-01T00:00:00Z', to: '2026-11-28T12:00:00Z', granularity: 'day' },
    granularity: 'day',
    tz: 'UTC',
    // 2026-10-01 to 2026-11-29 is 59 days; so is 2026-08-03 to 2026-10-01.
    boundaries: everyStep(t('2026-08-03T00:00:00Z'), DAY, 118),
  },
  {
    name: 'week (UTC), Monday to Monday',
    params: { from: '2026-10-01T00:00:00Z', to: '2026-11-28T12:00:00Z', granularity: 'week' },
    granularity: 'week',
    tz: 'UTC',
    // Monday 2026-09-28 to Monday 2026-11-30: 9 weeks; the previous 9 from Monday 2026-07-27.
    boundaries: everyStep(t('2026-07-27T00:00:00Z'), WEEK, 18),
  },
  {
    name: 'month (UTC)',
    params: { from: '2026-09-15T00:00:00Z', to: '2026-11-20T00:00:00Z', granularity: 'month' },
    granularity: 'month',
    tz: 'UTC',
    boundaries: monthStarts(2026, 6, 6, utcOffset),
  },
  {
    name: 'day (Europe/Paris) across the 25-hour 2026-10-25',
    params: { from: '2026-10-15', to: '2026-11-05', granularity: 'day', tz: 'Europe/Paris' },
    granularity: 'day',
    tz: 'Europe/Paris',
    boundaries: localMidnights('2026-09-24', 42, parisOffset),
  },
  {
    name: 'week (Europe/Paris)',
    params: { from: '2026-10-12', to: '2026-11-09', granularity: 'week', tz: 'Europe/Paris' },
    granularity: 'week',
    tz: 'Europe/Paris',
    boundaries: localMidnights('2026-09-14', 8, parisOffset, 7),
  },
  {
    name: 'month (Europe/Paris)',
    params: { from: '2026-10-01', to: '2026-12-01', granularity: 'month', tz: 'Europe/Paris' },
    granularity: 'month',
    tz: 'Europe/Paris',
    boundaries: monthStarts(2026, 8, 4, parisOffset),
  },
  {
    name: 'hour (Europe/Paris) across the repeated hour of 2026-10-25',
    params: { from: '2026-10-24', to: '2026-10-27', granularity: 'hour', tz: 'Europe/Paris' },
    granularity: 'hour',
    tz: 'Europe/Paris',
    // Local midnight of the 24th (22:00Z) to local midnight of the 27th (23:00Z): 73 hours.
    boundaries: everyStep(t('2026-10-23T22:00:00Z') - 73 * HOUR, HOUR, 146),
  },
  {
    name: 'day (Asia/Kolkata, +05:30)',
    params: { from: '2026-10-20', to: '2026-11-10', granularity: 'day', tz: 'Asia/Kolkata' },
    granularity: 'day',
    tz: 'Asia/Kolkata',
    boundaries: localMidnights('2026-09-29', 42, kolkataOffset),
  },
  {
    name: 'week (Asia/Kolkata), from Monday 00:00 IST',
    params: { from: '2026-10-05', to: '2026-11-02', granularity: 'week', tz: 'Asia/Kolkata' },
    granularity: 'week',
    tz: 'Asia/Kolkata',
    boundaries: localMidnights('2026-09-07', 8, kolkataOffset, 7),
  },
  {
    name: 'month (Asia/Kolkata)',
    params: { from: '2026-10-01', to: '2026-12-01', granularity: 'month', tz: 'Asia/Kolkata' },
    granularity: 'month',
    tz: 'Asia/Kolkata',
    boundaries: monthStarts(2026, 8, 4, kolkataOffset),
  },
  {
    name: 'hour (Asia/Kolkata), local hours at half past UTC',
    params: {
      from: '2026-11-20T08:30:00Z',
      to: '2026-11-20T12:30:00Z',
      granularity: 'hour',
      tz: 'Asia/Kolkata',
    },
    granularity: 'hour',
    tz: 'Asia/Kolkata',
    boundaries: everyStep(t('2026-11-20T04:30:00Z'), HOUR, 8),
  },
];

/** The day (UTC) case: the window most filter, group and breakdown tests read. */
const DAYS = SERIES_CASES[2] as SeriesCase;
const DAYS_FROM = t('2026-10-01T00:00:00Z');
const DAYS_TO = t('2026-11-29T00:00:00Z');

function query(params: Params): string {
  const text = new URLSearchParams(params).toString();
  return text === '' ? '' : `?${text}`;
}

function expectOk(response: LightMyRequestResponse): void {
  expect(response.statusCode, response.body).toBe(200);
}

for (const dialect of DIALECTS) {
  describe(`query [${dialect}]`, () => {
    let ctx: TestContext;
    let owner: Session;
    beforeAll(async () => {
      ctx = await createTestApp(dialect, { env: FAST_INGEST });
      owner = await signUp(ctx.app);
    });
    afterAll(() => ctx.close());
    afterEach(() => ctx.clock.set(NOW));

    const get = (url: string, session: Session | undefined = owner) =>
      call(ctx.app, 'GET', url, { session });
    const seriesPath = (projectId: string, metric: string) =>
      `/api/projects/${projectId}/metrics/${encodeURIComponent(metric)}/series`;
    const breakdownPath = (projectId: string, metric: string) =>
      `/api/projects/${projectId}/metrics/${encodeURIComponent(metric)}/breakdown`;

    async function series(project: TestProject, metric: Metric, params: Params) {
      const withPrevious = { previous: 'true', ...params };
      const response = await get(`${seriesPath(project.id, metric.id)}${query(withPrevious)}`);
      expectOk(response);
      return response.json();
    }

    async function breakdown(project: TestProject, metric: Metric, params: Params) {
      const response = await get(`${breakdownPath(project.id, metric.id)}${query(params)}`);
      expectOk(response);
      return response.json();
    }

    /** Sends events through the batch endpoint, 1000 at a time, every one accepted. */
    async function ingest(project: TestProject, metric: Metric, events: readonly SentEvent[]) {
      const items = batchItems(metric.id, events);
      for (let i = 0; i < items.length; i += BATCH) {
        const chunk = items.slice(i, i + BATCH);
        const response = await call(ctx.app, 'POST', '/event/v1/batch', {
          body: { events: chunk },
          headers: { authorization: `Bearer ${project.apiKey}` },
        });
        expectOk(response);
        expect(response.json(), response.body).toMatchObject({
          accepted: chunk.length,
          rejected: 0,
        });
      }
    }

    const uniqueName = (label: string) => `${label}-${randomBytes(4).toString('hex')}`;

    async function newProject(): Promise<TestProject> {
      return createProject(ctx.app, owner, uniqueName('project'));
    }

    /** A metric of its own, holding exactly these events (ISO instant, value, filters). */
    async function metricWith(
      project: TestProject,
      type: MetricType,
      events: ReadonlyArray<readonly [string, number, Record<string, string>?]>,
    ): Promise<Metric> {
      const metric = await createMetric(ctx.app, owner, project.id, {
        name: uniqueName(type),
        type,
      });
      await ingest(
        project,
        metric,
        events.map(([at, value, filters]) => ({
          ts: t(at),
          cents: Math.round(value * 100),
          ...(filters === undefined ? {} : { filters }),
        })),
      );
      return metric;
    }

    describe('a generated event set', () => {
      let project: TestProject;
      const metrics = new Map<MetricType, Metric>();
      const events = new Map<MetricType, SentEvent[]>();
      beforeAll(async () => {
        project = await newProject();
        for (const type of METRIC_TYPES) {
          const metric = await createMetric(ctx.app, owner, project.id, {
            name: `generated-${type}`,
            type,
          });
          const list = datasetOf(type);
          await ingest(project, metric, list);
          metrics.set(type, metric);
          events.set(type, list);
        }
      });
      const metricOf = (type: MetricType) => metrics.get(type) as Metric;
      const eventsOf = (type: MetricType) => events.get(type) ?? [];

      for (const type of METRIC_TYPES) {
        describe(`${type} metric`, () => {
          for (const c of SERIES_CASES) {
            it(`series by ${c.name}`, async () => {
              const list = eventsOf(type);
              const expected = expectedSeries(type, list, c.boundaries);
              const n = (c.boundaries.length - 1) / 2;
              const filled = c.boundaries
                .slice(n, -1)
                .filter(
                  (start, i) => inRange(list, start, c.boundaries[n + i + 1] ?? start).length,
                );
              expect(filled.length, 'fixture: buckets hold events').toBeGreaterThanOrEqual(2);
              const body = await series(project, metricOf(type), c.params);
              expect(body).toMatchObject({
                metric: { id: metricOf(type).id, name: metricOf(type).name, type },
                from: expected.from,
                to: expected.to,
                granularity: c.granularity,
                tz: c.tz,
                filters: {},
              });
              expect(body.buckets).toHaveLength(n);
              expect(body.buckets).toEqual(expected.buckets);
              expect(body.previousBuckets).toEqual(expected.previousBuckets);
              expect(body.summary).toEqual(expected.summary);
              expect(body).not.toHaveProperty('groups');
            });
          }

          it('series narrowed by one filter, and by two together', async () => {
            const list = eventsOf(type);
            const filterSets: Array<Record<string, string>> = [
              { country: 'fr' },
              { plan: 'team' },
              { country: 'us', plan: 'pro' },
              { country: 'de', plan: 'free' },
            ];
            for (const filters of filterSets) {
              const selected = matching(list, filters);
              expect(inRange(selected, DAYS_FROM, DAYS_TO).length).toBeGreaterThan(5);
              const params: Params = { ...DAYS.params };
              for (const [k, v] of Object.entries(filters)) params[`filter[${k}]`] = v;
              const body = await series(project, metricOf(type), params);
              const expected = expectedSeries(type, selected, DAYS.boundaries);
              expect(body.filters).toEqual(filters);
              expect(body.buckets).toEqual(expected.buckets);
              expect(body.previousBuckets).toEqual(expected.previousBuckets);
              expect(body.summary).toEqual(expected.summary);
            }
          });

          it('series of a filter value never seen: zeros everywhere', async () => {
            const body = await series(project, metricOf(type), {
              ...DAYS.params,
              'filter[country]': 'zz',
            });
            const expected = expectedSeries(type, [], DAYS.boundaries);
            expect(body.buckets).toEqual(expected.buckets);
            expect(body.summary).toEqual(expected.summary);
          });

          it('groupBy with top N: the heaviest values, then "other"', async () => {
            const list = eventsOf(type);
            const window = inRange(list, DAYS_FROM, DAYS_TO);
            const ranked = rankValues(type, window, 'country', 2);
            expect(ranked.map((r) => r.value).sort()).toEqual(COUNTRIES.map(([c]) => c).sort());
            const body = await series(project, metricOf(type), {
              ...DAYS.params,
              groupBy: 'country',
              top: '2',
            });
            const bucketsOf = (selected: readonly SentEvent[]) =>
              everyStep(DAYS_FROM, DAY, 59)
                .slice(0, -1)
                .map((start) => ({
                  start: iso(start),
                  ...amountsOf(type, inRange(selected, start, start + DAY)),
                }));
            const rest = ranked.slice(2).flatMap((r) => r.events);
            expect(body.groupBy).toBe('country');
            expect(body.groups).toEqual([
              ...ranked.slice(0, 2).map((r) => ({
                value: r.value,
                other: false,
                total: amountsOf(type, r.events),
                buckets: bucketsOf(r.events),
              })),
              {
                value: null,
                other: true,
                values: 3,
                total: amountsOf(type, rest),
                buckets: bucketsOf(rest),
              },
            ]);
            // The series itself is unchanged by grouping.
            expect(body.buckets).toEqual(expectedSeries(type, list, DAYS.boundaries).buckets);
          });

          it('groupBy with a top above the number of values has no "other"', async () => {
            const window = inRange(eventsOf(type), DAYS_FROM, DAYS_TO);
            const ranked = rankValues(type, window, 'country', 4);
            const body = await series(project, metricOf(type), {
              ...DAYS.params,
              groupBy: 'country',
              top: '10',
            });
            expect(body.groups.map((g: { value: string | null }) => g.value)).toEqual(
              ranked.map((r) => r.value),
            );
            expect(body.groups.map((g: { total: unknown }) => g.total)).toEqual(
              ranked.map((r) => amountsOf(type, r.events)),
            );
            expect(body.groups.every((g: { other: boolean }) => !g.other)).toBe(true);
          });

          it('groupBy the key of a filter: the one group', async () => {
            const selected = matching(eventsOf(type), { country: 'jp' });
            const body = await series(project, metricOf(type), {
              ...DAYS.params,
              'filter[country]': 'jp',
              groupBy: 'country',
            });
            expect(body.groups).toHaveLength(1);
            expect(body.groups[0]).toMatchObject({
              value: 'jp',
              other: false,
              total: amountsOf(type, inRange(selected, DAYS_FROM, DAYS_TO)),
            });
            const by = await breakdown(project, metricOf(type), {
              by: 'country',
              'filter[country]': 'jp',
              from: '2026-10-01T00:00:00Z',
              to: '2026-11-29T00:00:00Z',
            });
            const window = inRange(selected, DAYS_FROM, DAYS_TO);
            expect(by).toMatchObject({
              total: amountsOf(type, window),
              values: [{ value: 'jp', ...amountsOf(type, window), share: 100 }],
              other: null,
              withoutKey: { count: 0 },
            });
          });

          it('groupBy combined with a filter on another key', async () => {
            const selected = matching(eventsOf(type), { country: 'fr' });
            const window = inRange(selected, DAYS_FROM, DAYS_TO);
            const ranked = rankValues(type, window, 'plan', 1);
            expect(ranked).toHaveLength(PLANS.length);
            const body = await series(project, metricOf(type), {
              ...DAYS.params,
              'filter[country]': 'fr',
              groupBy: 'plan',
              top: '1',
            });
            const rest = ranked.slice(1).flatMap((r) => r.events);
            const [first] = ranked;
            expect(
              body.groups.map((g: Record<string, unknown>) => ({
                value: g.value,
                other: g.other,
                values: g.values,
                total: g.total,
              })),
            ).toEqual([
              { value: first?.value, other: false, total: amountsOf(type, first?.events ?? []) },
              { value: null, other: true, values: 2, total: amountsOf(type, rest) },
            ]);
            const buckets = (body.groups[1]?.buckets ?? []) as Array<{ start: string }>;
            expect(buckets).toHaveLength(59);
            expect(buckets[0]?.start).toBe('2026-10-01T00:00:00.000Z');
            expect(body.buckets).toEqual(expectedSeries(type, selected, DAYS.boundaries).buckets);
          });

          it('breakdown: top values with shares, "other" and events without the key', async () => {
            const window = inRange(eventsOf(type), t('2026-10-01T00:00:00Z'), NOW);
            const ranked = rankValues(type, window, 'country', 2);
            const whole = weightOf(type, window);
            const share = (selected: readonly SentEvent[]) =>
              expect.closeTo((weightOf(type, selected) / whole) * 100, 3);
            const rest = ranked.slice(2).flatMap((r) => r.events);
            const without = window.filter((e) => e.filters?.country === undefined);
            expect(without.length).toBeGreaterThan(0);
            const body = await breakdown(project, metricOf(type), {
              by: 'country',
              limit: '2',
              from: '2026-10-01T00:00:00Z',
              to: '2026-11-28T12:00:00Z',
            });
            expect(body).toEqual({
              metric: expect.objectContaining({ id: metricOf(type).id, type }),
              by: 'country',
              from: '2026-10-01T00:00:00.000Z',
              to: '2026-11-28T12:00:00.000Z',
              tz: 'UTC',
              filters: {},
              total: amountsOf(type, window),
              values: ranked.slice(0, 2).map((r) => ({
                value: r.value,
                ...amountsOf(type, r.events),
                share: share(r.events),
              })),
              other: { values: 3, ...amountsOf(type, rest), share: share(rest) },
              withoutKey: { ...amountsOf(type, without), share: share(without) },
            });
          });

          it('breakdown under a filter, every value listed: no "other"', async () => {
            const window = matching(
              inRange(eventsOf(type), t('2026-10-15T00:00:00Z'), t('2026-11-15T00:00:00Z')),
              { country: 'de' },
            );
            const without = window.filter((e) => e.filters?.plan === undefined);
            const body = await breakdown(project, metricOf(type), {
              by: 'plan',
              'filter[country]': 'de',
              from: '2026-10-15T00:00:00Z',
              to: '2026-11-15T00:00:00Z',
            });
            expect(body.filters).toEqual({ country: 'de' });
            expect(body.total).toEqual(amountsOf(type, window));
            // Compared by value: the order of equal weights is not this test's business.
            const byValue = (list: Array<{ value: string }>) =>
              [...list].sort((a, b) => (a.value < b.value ? -1 : 1));
            expect(byValue(body.values)).toEqual(
              PLANS.map(([plan]) => plan)
                .sort()
                .map((plan) => ({
                  value: plan,
                  ...amountsOf(type, matching(window, { plan })),
                  share: expect.any(Number),
                })),
            );
            expect(body.other).toBeNull();
            expect(body.withoutKey).toMatchObject(amountsOf(type, without));
          });
        });
      }

      it('series.csv: one row per bucket with the amounts and the cumulative', async () => {
        for (const type of METRIC_TYPES) {
          const response = await get(
            `${seriesPath(project.id, metricOf(type).id)}.csv${query(DAYS.params)}`,
          );
          expectOk(response);
          expect(response.headers['content-type']).toMatch(/^text\/csv/);
          const expected = expectedSeries(type, eventsOf(type), DAYS.boundaries).buckets;
          const columns =
            type === 'dual'
              ? ['positive', 'negative', 'net', 'count']
              : type === 'average'
                ? ['mean', 'sum', 'count']
                : ['sum', 'count'];
          const [header, ...rows] = csvRows(response.body);
          expect(header).toEqual(['start', ...columns, 'cumulative']);
          expect(rows).toHaveLength(expected.length);
          rows.forEach((row, i) => {
            const bucket = expected[i] as Record<string, unknown>;
            const parsed: Record<string, unknown> = { start: row[0] };
            [...columns, 'cumulative'].forEach((column, c) => {
              const cell = row[c + 1];
              parsed[column] = cell === '' ? null : Number(cell);
            });
            expect(parsed).toEqual(bucket);
          });
        }
      });

      it('series.csv refuses groupBy and top, which only the JSON series answers', async () => {
        const path = `${seriesPath(project.id, metricOf('basic').id)}.csv`;
        for (const extra of ['groupBy=plan', 'top=3']) {
          const response = await get(`${path}${query(DAYS.params)}&${extra}`);
          expectProblem(response, 400, 'QUERY_INVALID');
          expect(response.json().detail).toMatch(/series\.csv is one series/);
        }
      });

      it('series by metric name, with local dates, epoch milliseconds and offsets alike', async () => {
        const metric = metricOf('basic');
        const expected = expectedSeries('basic', eventsOf('basic'), DAYS.boundaries);
        for (const params of [
          { from: '2026-10-01', to: '2026-11-28T12:00:00Z' },
          { from: String(DAYS_FROM), to: String(NOW) },
          { from: '2026-10-01T02:00:00+02:00', to: '2026-11-28T13:00:00+01:00' },
          { from: '2026-10-01T00:00', to: '2026-11-28T12:00:00' },
        ]) {
          const response = await get(
            `${seriesPath(project.id, metric.name)}${query({ ...params, granularity: 'day' })}`,
          );
          expectOk(response);
          expect(response.json().buckets).toEqual(expected.buckets);
          expect(response.json().summary).toEqual(expected.summary);
        }
      });

      it('series with granularity auto (the default) still adds up', async () => {
        const list = eventsOf('average');
        const { from, to } = DAYS.params as { from: string; to: string };
        const body = await series(project, metricOf('average'), { from, to });
        expect(['minute', 'hour', 'day', 'week', 'month']).toContain(body.granularity);
        const count = body.buckets.reduce((s: number, b: { count: number }) => s + b.count, 0);
        const first = t(body.from);
        const last = t(body.to);
        expect(first).toBeLessThanOrEqual(DAYS_FROM);
        expect(last).toBeGreaterThanOrEqual(NOW);
        expect(count).toBe(inRange(list, first, last).length);
      });

      it('filters: every key with the values seen, sorted', async () => {
        const list = eventsOf('dual');
        const seen = new Map<string, Set<string>>();
        for (const e of list) {
          for (const [k, v] of Object.entries(e.filters ?? {})) {
            seen.set(k, (seen.get(k) ?? new Set()).add(v));
          }
        }
        const response = await get(
          `/api/projects/${project.id}/metrics/${metricOf('dual').id}/filters`,
        );
        expectOk(response);
        expect(response.json()).toEqual({
          keys: [...seen]
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([key, values]) => ({ key, values: [...values].sort() })),
        });
        expect(response.json().keys.map((k: { key: string }) => k.key)).toEqual([
          'country',
          'plan',
        ]);
      });
      it('groupBy a key no event carries, a breakdown of an empty window, filters of a new metric', async () => {
        const metric = metricOf('dual');
        const grouped = await series(project, metric, { ...DAYS.params, groupBy: 'browser' });
        expect(grouped).toMatchObject({ groupBy: 'browser', groups: [] });
        const empty = await breakdown(project, metric, {
          by: 'country',
          from: '2026-06-01T00:00:00Z',
          to: '2026-06-02T00:00:00Z',
        });
        const zero = { positive: 0, negative: 0, net: 0, count: 0 };
        expect(empty).toMatchObject({
          total: zero,
          values: [],
          other: null,
          withoutKey: { ...zero, share: null },
        });
        const fresh = await createMetric(ctx.app, owner, project.id, {
          name: uniqueName('fresh'),
          type: 'basic',
        });
        const response = await get(`/api/projects/${project.id}/metrics/${fresh.id}/filters`);
        expectOk(response);
        expect(response.json()).toEqual({ keys: [] });
      });
    });

    describe('time zones', () => {
      let project: TestProject;
      beforeAll(async () => {
        project = await newProject();
      });

      it('Europe/Paris days across 2026-03-29 (23 h) follow local midnights', async () => {
        const metric = await metricWith(project, 'basic', [
          ['2026-03-27T22:59:00Z', 1], // 23:59 on the 27th
          ['2026-03-27T23:00:00Z', 2], // 00:00 on the 28th
          ['2026-03-28T22:59:00Z', 4], // 23:59 on the 28th
          ['2026-03-28T23:00:00Z', 8], // 00:00 on the 29th, CET
          ['2026-03-29T00:30:00Z', 16], // 01:30 CET
          ['2026-03-29T01:30:00Z', 32], // 03:30 CEST
          ['2026-03-29T21:59:00Z', 64], // 23:59 CEST on the 29th
          ['2026-03-29T22:00:00Z', 128], // 00:00 on the 30th
          ['2026-03-30T21:59:00Z', 256], // 23:59 on the 30th
        ]);
        const days = await series(project, metric, {
          from: '2026-03-27',
          to: '2026-03-31',
          granularity: 'day',
          tz: 'Europe/Paris',
        });
        expect(days).toMatchObject({
          from: '2026-03-26T23:00:00.000Z',
          to: '2026-03-30T22:00:00.000Z',
        });
        expect(days.buckets).toEqual([
          { start: '2026-03-26T23:00:00.000Z', sum: 1, count: 1, cumulative: 1 },
          { start: '2026-03-27T23:00:00.000Z', sum: 6, count: 2, cumulative: 7 },
          { start: '2026-03-28T23:00:00.000Z', sum: 120, count: 4, cumulative: 127 },
          { start: '2026-03-29T22:00:00.000Z', sum: 384, count: 2, cumulative: 511 },
        ]);

        const hours = await series(project, metric, {
          from: '2026-03-29',
          to: '2026-03-30',
          granularity: 'hour',
          tz: 'Europe/Paris',
        });
        expect(hours.buckets).toHaveLength(23);
        expect(hours.buckets[0].start).toBe('2026-03-28T23:00:00.000Z');
        expect(hours.buckets[22].start).toBe('2026-03-29T21:00:00.000Z');
        expect(hours.to).toBe('2026-03-29T22:00:00.000Z');
        expect(hours.summary.total).toEqual({ sum: 120, count: 4, exact: { sum: '120' } });
        // The previous period is the 23 hours before: the 28th's last 23 local hours.
        expect(hours.summary.previous).toMatchObject({
          from: '2026-03-28T00:00:00.000Z',
          to: '2026-03-28T23:00:00.000Z',
          sum: 4,
          count: 1,
        });

        const weeks = await series(project, metric, {
          from: '2026-03-23',
          to: '2026-04-06',
          granularity: 'week',
          tz: 'Europe/Paris',
        });
        expect(weeks.buckets).toEqual([
          { start: '2026-03-22T23:00:00.000Z', sum: 127, count: 7, cumulative: 127 },
          { start: '2026-03-29T22:00:00.000Z', sum: 384, count: 2, cumulative: 511 },
        ]);
        expect(weeks.to).toBe('2026-04-05T22:00:00.000Z');
      });

      it('Europe/Paris days across 2026-10-25 (25 h) follow local midnights', async () => {
        const metric = await metricWith(project, 'basic', [
          ['2026-10-24T21:59:00Z', 1], // 23:59 CEST on the 24th
          ['2026-10-24T22:00:00Z', 2], // 00:00 CEST on the 25th
          ['2026-10-25T00:30:00Z', 4], // 02:30 CEST
          ['2026-10-25T01:30:00Z', 8], // 02:30 CET
          ['2026-10-25T22:59:00Z', 16], // 23:59 CET on the 25th
          ['2026-10-25T23:00:00Z', 32], // 00:00 on the 26th
        ]);
        const days = await series(project, metric, {
          from: '2026-10-24',
          to: '2026-10-27',
          granularity: 'day',
          tz: 'Europe/Paris',
        });
        expect(days.buckets).toEqual([
          { start: '2026-10-23T22:00:00.000Z', sum: 1, count: 1, cumulative: 1 },
          { start: '2026-10-24T22:00:00.000Z', sum: 30, count: 4, cumulative: 31 },
          { start: '2026-10-25T23:00:00.000Z', sum: 32, count: 1, cumulative: 63 },
        ]);
        expect(days.to).toBe('2026-10-26T23:00:00.000Z');
        expect(days.previousBuckets.map((b: { start: string }) => b.start)).toEqual([
          '2026-10-20T22:00:00.000Z',
          '2026-10-21T22:00:00.000Z',
          '2026-10-22T22:00:00.000Z',
        ]);

        const hours = await series(project, metric, {
          from: '2026-10-25',
          to: '2026-10-26',
          granularity: 'hour',
          tz: 'Europe/Paris',
        });
        expect(hours.buckets).toHaveLength(25);
        expect(hours.buckets[0].start).toBe('2026-10-24T22:00:00.000Z');
        expect(hours.buckets[24].start).toBe('2026-10-25T22:00:00.000Z');
        // 00:00 CEST, 02:30 CEST, 02:30 CET (the repeated hour) and 23:59 CET.
        const counts = Array.from({ length: 25 }, (_, i) => ([0, 2, 3, 24].includes(i) ? 1 : 0));
        expect(hours.buckets.map((b: { count: number }) => b.count)).toEqual(counts);
        expect(hours.summary.total).toMatchObject({ sum: 30, count: 4 });
      });

      it('Europe/Paris months start at local midnight on the first', async () => {
        const metric = await metricWith(project, 'dual', [
          ['2026-02-28T22:30:00Z', 1], // 23:30 on February 28th
          ['2026-02-28T23:30:00Z', 2], // 00:30 on March 1st
          ['2026-03-31T21:30:00Z', -4], // 23:30 on March 31st, CEST
          ['2026-03-31T22:30:00Z', 8], // 00:30 on April 1st
        ]);
        const months = await series(project, metric, {
          from: '2026-03-01',
          to: '2026-05-01',
          granularity: 'month',
          tz: 'Europe/Paris',
        });
        expect(months).toMatchObject({
          from: '2026-02-28T23:00:00.000Z',
          to: '2026-04-30T22:00:00.000Z',
        });
        expect(months.buckets).toEqual([
          {
            start: '2026-02-28T23:00:00.000Z',
            positive: 2,
            negative: 4,
            net: -2,
            count: 2,
            cumulative: -1,
          },
          {
            start: '2026-03-31T22:00:00.000Z',
            positive: 8,
            negative: 0,
            net: 8,
            count: 1,
            cumulative: 7,
          },
        ]);
        expect(months.summary.before).toEqual({
          value: 1,
          positive: 1,
          negative: 0,
          net: 1,
          count: 1,
        });
      });

      it('Asia/Kolkata days start at 18:30 UTC, hours at half past', async () => {
        const metric = await metricWith(project, 'basic', [
          ['2026-11-10T18:29:00Z', 1], // 23:59 IST on the 10th
          ['2026-11-10T18:30:00Z', 2], // 00:00 IST on the 11th
          ['2026-11-11T00:00:00Z', 4], // 05:30 IST
          ['2026-11-11T18:29:59.999Z', 8], // 23:59:59.999 IST
          ['2026-11-11T18:30:00Z', 16], // 00:00 IST on the 12th
          ['2026-11-11T19:10:00Z', 32],
        ]);
        const days = await series(project, metric, {
          from: '2026-11-10',
          to: '2026-11-13',
          granularity: 'day',
          tz: 'Asia/Kolkata',
        });
        expect(days).toMatchObject({
          from: '2026-11-09T18:30:00.000Z',
          to: '2026-11-12T18:30:00.000Z',
          tz: 'Asia/Kolkata',
        });
        expect(days.buckets).toEqual([
          { start: '2026-11-09T18:30:00.000Z', sum: 1, count: 1, cumulative: 1 },
          { start: '2026-11-10T18:30:00.000Z', sum: 14, count: 3, cumulative: 15 },
          { start: '2026-11-11T18:30:00.000Z', sum: 48, count: 2, cumulative: 63 },
        ]);

        // 23:30 to 01:30 local, aligned outwards to 23:00 and 02:00 local.
        const hours = await series(project, metric, {
          from: '2026-11-10T18:00:00Z',
          to: '2026-11-10T20:00:00Z',
          granularity: 'hour',
          tz: 'Asia/Kolkata',
        });
        expect(hours.buckets).toEqual([
          { start: '2026-11-10T17:30:00.000Z', sum: 1, count: 1, cumulative: 1 },
          { start: '2026-11-10T18:30:00.000Z', sum: 2, count: 1, cumulative: 3 },
          { start: '2026-11-10T19:30:00.000Z', sum: 0, count: 0, cumulative: 3 },
        ]);
        expect(hours.to).toBe('2026-11-10T20:30:00.000Z');
        // The same window as local date-times.
        const local = await series(project, metric, {
          from: '2026-11-10T23:30',
          to: '2026-11-11T01:30:00',
          granularity: 'hour',
          tz: 'Asia/Kolkata',
        });
        expect(local.buckets).toEqual(hours.buckets);
      });

      it('a skipped local midnight starts the day at the change (America/Santiago)', async () => {
        // On 2026-09-06 Santiago's clocks jump from 24:00 (-04) to 01:00 (-03).
        const metric = await metricWith(project, 'basic', [
          ['2026-09-06T03:59:00Z', 1], // 23:59 on the 5th
          ['2026-09-06T04:00:00Z', 2], // 01:00 on the 6th, its first instant
          ['2026-09-07T02:59:00Z', 4], // 23:59 on the 6th
          ['2026-09-07T03:00:00Z', 8], // 00:00 on the 7th
        ]);
        const days = await series(project, metric, {
          from: '2026-09-05',
          to: '2026-09-08',
          granularity: 'day',
          tz: 'America/Santiago',
        });
        expect(days.buckets).toEqual([
          { start: '2026-09-05T04:00:00.000Z', sum: 1, count: 1, cumulative: 1 },
          { start: '2026-09-06T04:00:00.000Z', sum: 6, count: 2, cumulative: 7 },
          { start: '2026-09-07T03:00:00.000Z', sum: 8, count: 1, cumulative: 15 },
        ]);
        expect(days.to).toBe('2026-09-08T03:00:00.000Z');
        const sixth = await series(project, metric, {
          from: '2026-09-06',
          to: '2026-09-07',
          granularity: 'day',
          tz: 'America/Santiago',
        });
        expect(sixth).toMatchObject({
          from: '2026-09-06T04:00:00.000Z',
          to: '2026-09-07T03:00:00.000Z',
          summary: { total: { sum: 6, count: 2 } },
        });
      });

      it('Asia/Kathmandu (+05:45) days start at 18:15 UTC', async () => {
        const metric = await metricWith(project, 'average', [
          ['2026-11-10T18:14:00Z', 1],
          ['2026-11-10T18:15:00Z', 2],
          ['2026-11-11T18:14:59.999Z', 4],
        ]);
        const days = await series(project, metric, {
          from: '2026-11-10',
          to: '2026-11-12',
          granularity: 'day',
          tz: 'Asia/Kathmandu',
        });
        expect(days.buckets).toEqual([
          { start: '2026-11-09T18:15:00.000Z', mean: 1, sum: 1, count: 1, cumulative: 1 },
          { start: '2026-11-10T18:15:00.000Z', mean: 3, sum: 6, count: 2, cumulative: 7 / 3 },
        ]);
      });
    });

    describe('empty buckets, previous period, cumulative', () => {
      let project: TestProject;
      beforeAll(async () => {
        project = await newProject();
      });

      it('empty buckets are present as zeros, with a null mean', async () => {
        const zero: Record<MetricType, Record<string, unknown>> = {
          basic: { sum: 0, count: 0 },
          dual: { positive: 0, negative: 0, net: 0, count: 0 },
          average: { mean: null, sum: 0, count: 0 },
        };
        const filled: Record<MetricType, Record<string, unknown>> = {
          basic: { sum: 3, count: 1 },
          dual: { positive: 3, negative: 0, net: 3, count: 1 },
          average: { mean: 3, sum: 3, count: 1 },
        };
        const allTime: Record<MetricType, Record<string, unknown>> = {
          basic: { sum: 6, count: 2, exact: { sum: '6' } },
          dual: { positive: 6, negative: 0, net: 6, count: 2 },
          average: { mean: 3, sum: 6, count: 2, exact: { sum: '6' } },
        };
        for (const type of METRIC_TYPES) {
          const metric = await metricWith(project, type, [
            ['2026-11-01T10:00:00Z', 3],
            ['2026-11-03T10:00:00Z', 3],
          ]);
          const body = await series(project, metric, {
            from: '2026-11-01T00:00:00Z',
            to: '2026-11-04T00:00:00Z',
            granularity: 'day',
          });
          expect(body.buckets).toEqual([
            { start: '2026-11-01T00:00:00.000Z', ...filled[type], cumulative: 3 },
            { start: '2026-11-02T00:00:00.000Z', ...zero[type], cumulative: 3 },
            {
              start: '2026-11-03T00:00:00.000Z',
              ...filled[type],
              // Two events of 3: a sum or net of 6, a running mean of 3.
              cumulative: type === 'average' ? 3 : 6,
            },
          ]);
          expect(body.previousBuckets).toEqual(
            ['2026-10-29', '2026-10-30', '2026-10-31'].map((d) => ({
              start: `${d}T00:00:00.000Z`,
              ...zero[type],
            })),
          );
          expect(body.summary.change).toBeNull();
          expect(body.summary.previous.value).toBe(type === 'average' ? null : 0);

          const nothing = await series(project, metric, {
            from: '2026-06-01T00:00:00Z',
            to: '2026-06-03T00:00:00Z',
            granularity: 'hour',
          });
          expect(nothing.buckets).toHaveLength(48);
          const none = type === 'average' ? null : 0;
          expect(nothing.buckets).toEqual(
            everyStep(t('2026-06-01T00:00:00Z'), HOUR, 48)
              .slice(0, -1)
              .map((start) => ({ start: iso(start), ...zero[type], cumulative: none })),
          );
          expect(nothing.summary).toMatchObject({
            value: none,
            total: zero[type],
            change: null,
            before: { value: none, ...zero[type] },
            allTime: allTime[type],
          });
        }
      });

      it('previous period totals and change in percent', async () => {
        const cases: Array<{
          type: MetricType;
          previous: Array<[string, number]>;
          current: Array<[string, number]>;
          amounts: Record<string, number | null>;
          value: number | null;
          change: number | null;
        }> = [
          {
            type: 'basic',
            previous: [
              ['2026-11-10T05:00:00Z', 15],
              ['2026-11-10T23:59:59Z', 25],
            ],
            current: [
              ['2026-11-12T00:00:00Z', 20],
              ['2026-11-13T23:00:00Z', 30],
            ],
            amounts: { sum: 40, count: 2 },
            value: 40,
            change: 25,
          },
          {
            type: 'basic',
            previous: [['2026-11-11T12:00:00Z', 40]],
            current: [['2026-11-12T12:00:00Z', 30]],
            amounts: { sum: 40, count: 1 },
            value: 40,
            change: -25,
          },
          {
            type: 'basic',
            previous: [['2026-11-11T12:00:00Z', 0.6]],
            current: [['2026-11-12T12:00:00Z', 0.45]],
            amounts: { sum: 0.6, count: 1 },
            value: 0.6,
            // (0.45 - 0.6) / 0.6 × 100 is -24.999999999999993 in floating point.
            change: -25,
          },
          {
            type: 'basic',
            previous: [['2026-11-11T12:00:00Z', 3]],
            current: [['2026-11-12T12:00:00Z', 4]],
            amounts: { sum: 3, count: 1 },
            value: 3,
            change: 33.33,
          },
          {
            type: 'basic',
            previous: [['2026-11-09T23:59:59Z', 40]],
            current: [['2026-11-12T12:00:00Z', 30]],
            amounts: { sum: 0, count: 0 },
            value: 0,
            change: null,
          },
          {
            type: 'dual',
            previous: [
              ['2026-11-10T01:00:00Z', 10],
              ['2026-11-11T01:00:00Z', -30],
            ],
            current: [
              ['2026-11-12T01:00:00Z', 15],
              ['2026-11-13T01:00:00Z', -5],
            ],
            amounts: { positive: 10, negative: 30, net: -20, count: 2 },
            value: -20,
            change: 150,
          },
          {
            type: 'average',
            previous: [
              ['2026-11-10T01:00:00Z', 2],
              ['2026-11-11T01:00:00Z', 6],
            ],
            current: [['2026-11-12T01:00:00Z', 5]],
            amounts: { mean: 4, sum: 8, count: 2 },
            value: 4,
            change: 25,
          },
          {
            type: 'average',
            previous: [['2026-11-10T01:00:00Z', 0]],
            current: [['2026-11-12T01:00:00Z', 5]],
            amounts: { mean: 0, sum: 0, count: 1 },
            value: 0,
            change: null,
          },
        ];
        for (const c of cases) {
          const metric = await metricWith(project, c.type, [...c.previous, ...c.current]);
          const body = await series(project, metric, {
            from: '2026-11-12T00:00:00Z',
            to: '2026-11-14T00:00:00Z',
            granularity: 'day',
          });
          expect(body.summary.previous, JSON.stringify(c)).toEqual({
            from: '2026-11-10T00:00:00.000Z',
            to: '2026-11-12T00:00:00.000Z',
            value: c.value,
            ...c.amounts,
          });
          expect(body.summary.change, JSON.stringify(c)).toBe(c.change);
          expect(body.previousBuckets.map((b: { start: string }) => b.start)).toEqual([
            '2026-11-10T00:00:00.000Z',
            '2026-11-11T00:00:00.000Z',
          ]);
        }
      });

      it('cumulative starts from every event before the range; allTime counts those after', async () => {
        const basic = await metricWith(project, 'basic', [
          ['2026-06-01T00:00:00Z', 100],
          ['2026-11-04T23:59:59.999Z', 0.5],
          ['2026-11-05T00:00:00Z', 1],
          ['2026-11-06T12:00:00Z', 2],
          ['2026-11-08T00:00:00Z', 4],
          ['2026-11-20T00:00:00Z', 1000],
        ]);
        const range = {
          from: '2026-11-05T00:00:00Z',
          to: '2026-11-08T00:00:00Z',
          granularity: 'day',
        };
        const body = await series(project, basic, range);
        expect(body.buckets.map((b: { cumulative: number }) => b.cumulative)).toEqual([
          101.5, 103.5, 103.5,
        ]);
        expect(body.summary).toMatchObject({
          value: 3,
          total: { sum: 3, count: 2, exact: { sum: '3' } },
          before: { value: 100.5, sum: 100.5, count: 2 },
          allTime: { sum: 1107.5, count: 6, exact: { sum: '1107.5' } },
        });

        const dual = await metricWith(project, 'dual', [
          ['2026-10-01T00:00:00Z', -5],
          ['2026-11-05T10:00:00Z', 3],
          ['2026-11-06T10:00:00Z', -1],
          ['2026-11-09T10:00:00Z', 7.25],
        ]);
        const duals = await series(project, dual, range);
        expect(duals.buckets.map((b: { cumulative: number }) => b.cumulative)).toEqual([
          -2, -3, -3,
        ]);
        expect(duals.summary.allTime).toEqual({
          positive: 10.25,
          negative: 6,
          net: 4.25,
          count: 4,
          exact: { positive: '10.25', negative: '6', net: '4.25' },
        });

        const average = await metricWith(project, 'average', [
          ['2026-10-01T00:00:00Z', 10],
          ['2026-11-05T10:00:00Z', 20],
          ['2026-11-07T10:00:00Z', 60],
        ]);
        const averages = await series(project, average, range);
        expect(averages.buckets.map((b: { cumulative: number }) => b.cumulative)).toEqual([
          15, 15, 30,
        ]);
        expect(averages.summary.before).toEqual({ value: 10, mean: 10, sum: 10, count: 1 });
        expect(averages.summary.value).toBe(40);
      });
      it('totals stay exact past 2^53 micro-units', async () => {
        const basic = await metricWith(project, 'basic', [
          ...Array.from(
            { length: 5 },
            (_, i) => [`2026-11-05T0${i}:00:00Z`, 999_999_999_999.99] as const,
          ),
          ['2026-11-05T10:00:00Z', 0.06],
          ['2026-11-05T11:00:00Z', 0.1],
          ['2026-11-05T12:00:00Z', 0.2],
        ]);
        const body = await series(project, basic, {
          from: '2026-11-05T00:00:00Z',
          to: '2026-11-06T00:00:00Z',
          granularity: 'day',
        });
        expect(body.summary.total).toEqual({
          sum: 5_000_000_000_000.31,
          count: 8,
          exact: { sum: '5000000000000.31' },
        });
        const small = await series(project, basic, {
          from: '2026-11-05T11:00:00Z',
          to: '2026-11-05T13:00:00Z',
          granularity: 'hour',
        });
        expect(small.summary.total).toEqual({ sum: 0.3, count: 2, exact: { sum: '0.3' } });

        const dual = await metricWith(project, 'dual', [
          ...Array.from(
            { length: 5 },
            (_, i) => [`2026-11-05T0${i}:00:00Z`, -999_999_999_999.99] as const,
          ),
          ['2026-11-05T10:00:00Z', 0.07],
        ]);
        const duals = await series(project, dual, {
          from: '2026-11-05T00:00:00Z',
          to: '2026-11-06T00:00:00Z',
          granularity: 'day',
        });
        expect(duals.summary.total.exact).toEqual({
          positive: '0.07',
          negative: '4999999999999.95',
          net: '-4999999999999.88',
        });
        expect(duals.summary.allTime.exact.net).toBe('-4999999999999.88');
      });
    });

    describe('presets', () => {
      let project: TestProject;
      let metric: Metric;
      beforeAll(async () => {
        project = await newProject();
        metric = await metricWith(project, 'basic', [
          ['2026-11-28T09:00:00Z', 1024],
          ['2026-11-28T01:00:00Z', 1],
          ['2026-11-27T23:00:00Z', 2],
          ['2026-11-22T00:00:00Z', 4],
          ['2026-11-21T23:59:00Z', 8],
          ['2026-11-01T00:00:00Z', 16],
          ['2026-10-31T23:59:00Z', 32],
          ['2026-01-01T00:00:00Z', 64],
          ['2025-12-31T23:59:00Z', 128],
          ['2025-12-01T00:00:00Z', 256],
          ['2025-11-30T23:59:00Z', 512],
        ]);
      });

      it('resolve against the clock, in UTC by default', async () => {
        const cases: Array<[string, string, string, string, number, number]> = [
          // range, granularity, from, to, buckets, sum
          ['today', 'day', '2026-11-28', '2026-11-29', 1, 1025],
          ['yesterday', 'day', '2026-11-27', '2026-11-28', 1, 2],
          ['last_7_days', 'day', '2026-11-22', '2026-11-29', 7, 1031],
          ['last_15_days', 'day', '2026-11-14', '2026-11-29', 15, 1039],
          ['last_30_days', 'day', '2026-10-30', '2026-11-29', 30, 1087],
          ['last_90_days', 'day', '2026-08-31', '2026-11-29', 90, 1087],
          ['month_to_date', 'day', '2026-11-01', '2026-11-29', 28, 1055],
          ['year_to_date', 'month', '2026-01-01', '2026-12-01', 11, 1151],
          ['last_12_months', 'month', '2025-12-01', '2026-12-01', 12, 1535],
        ];
        for (const [range, granularity, from, to, buckets, sum] of cases) {
          const body = await series(project, metric, { range, granularity });
          expect(
            { range, from: body.from, to: body.to, buckets: body.buckets.length },
            range,
          ).toEqual({
            range,
            from: `${from}T00:00:00.000Z`,
            to: `${to}T00:00:00.000Z`,
            buckets,
          });
          expect(body.summary.total.sum, range).toBe(sum);
        }
      });

      it('resolve to a 25-hour today on the day Paris leaves summer time', async () => {
        ctx.clock.set(t('2026-10-25T12:00:00Z'));
        const body = await series(project, metric, {
          range: 'today',
          granularity: 'hour',
          tz: 'Europe/Paris',
        });
        expect(body).toMatchObject({
          from: '2026-10-24T22:00:00.000Z',
          to: '2026-10-25T23:00:00.000Z',
        });
        expect(body.buckets).toHaveLength(25);
        expect(body.previousBuckets[0].start).toBe('2026-10-23T21:00:00.000Z');
      });

      it('resolve to local days in the time zone', async () => {
        const cases: Array<[string, string, string, string, number]> = [
          // tz, range, from, to, sum
          [
            'America/Los_Angeles',
            'today',
            '2026-11-28T08:00:00.000Z',
            '2026-11-29T08:00:00.000Z',
            1024,
          ],
          [
            'America/Los_Angeles',
            'yesterday',
            '2026-11-27T08:00:00.000Z',
            '2026-11-28T08:00:00.000Z',
            3,
          ],
          ['Pacific/Auckland', 'today', '2026-11-28T11:00:00.000Z', '2026-11-29T11:00:00.000Z', 0],
          [
            'Pacific/Auckland',
            'yesterday',
            '2026-11-27T11:00:00.000Z',
            '2026-11-28T11:00:00.000Z',
            1027,
          ],
          [
            'Pacific/Auckland',
            'last_7_days',
            '2026-11-22T11:00:00.000Z',
            '2026-11-29T11:00:00.000Z',
            1027,
          ],
        ];
        for (const [tz, range, from, to, sum] of cases) {
          const body = await series(project, metric, { range, tz, granularity: 'day' });
          expect({ from: body.from, to: body.to, tz: body.tz }, `${tz} ${range}`).toEqual({
            from,
            to,
            tz,
          });
          expect(body.summary.total.sum, `${tz} ${range}`).toBe(sum);
        }
      });

      it('follow the clock when it moves', async () => {
        ctx.clock.set(t('2026-03-01T10:00:00Z'));
        const cases: Array<[string, string, string, string, number]> = [
          ['yesterday', 'day', '2026-02-28', '2026-03-01', 0],
          ['month_to_date', 'day', '2026-03-01', '2026-03-02', 0],
          ['last_7_days', 'day', '2026-02-23', '2026-03-02', 0],
          ['year_to_date', 'month', '2026-01-01', '2026-04-01', 64],
        ];
        for (const [range, granularity, from, to, sum] of cases) {
          const body = await series(project, metric, { range, granularity });
          expect({ from: body.from, to: body.to }, range).toEqual({
            from: `${from}T00:00:00.000Z`,
            to: `${to}T00:00:00.000Z`,
          });
          expect(body.summary.total.sum, range).toBe(sum);
        }
      });

      it('"to" defaults to now', async () => {
        ctx.clock.set(t('2026-11-28T12:34:56Z'));
        const body = await series(project, metric, {
          from: '2026-11-28T09:00:00Z',
          granularity: 'hour',
        });
        expect(body.to).toBe('2026-11-28T13:00:00.000Z');
        expect(body.buckets.map((b: { sum: number }) => b.sum)).toEqual([1024, 0, 0, 0]);
      });
    });

    describe('overview', () => {
      let project: TestProject;
      const ids: Record<MetricType, string> = { basic: '', dual: '', average: '' };
      beforeAll(async () => {
        project = await newProject();
        ids.basic = (
          await metricWith(project, 'basic', [
            ['2026-11-28T01:00:00Z', 5],
            ['2026-11-28T11:59:00Z', 5],
            ['2026-11-27T12:00:00Z', 8],
            ['2026-11-14T00:00:00Z', 3],
            ['2026-11-13T23:59:00Z', 100],
          ])
        ).id;
        ids.dual = (
          await metricWith(project, 'dual', [
            ['2026-11-28T10:00:00Z', 10],
            ['2026-11-28T10:30:00Z', -4],
            ['2026-11-27T10:00:00Z', -3],
          ])
        ).id;
        ids.average = (
          await metricWith(project, 'average', [
            ['2026-11-28T06:00:00Z', 4],
            ['2026-11-28T07:00:00Z', 8],
            ['2026-11-20T07:00:00Z', 10],
          ])
        ).id;
      });

      const days = (first: string, offsetHours: number) =>
        everyStep(t(`${first}T00:00:00Z`) + offsetHours * HOUR, DAY, 15)
          .slice(0, -1)
          .map(iso);
      function sparkline(starts: string[], values: Record<string, number>, none: number | null) {
        return starts.map((start) => ({ start, value: values[start.slice(0, 10)] ?? none }));
      }

      it('today, yesterday, change and a 15-day sparkline per metric (UTC)', async () => {
        const response = await get(`/api/projects/${project.id}/overview`);
        expectOk(response);
        const body = response.json();
        expect(body.tz).toBe('UTC');
        expect(body.metrics).toHaveLength(3);
        const byId = (id: string) => body.metrics.find((m: { id: string }) => m.id === id);
        const starts = days('2026-11-14', 0);
        expect(starts[14]).toBe('2026-11-28T00:00:00.000Z');
        expect(byId(ids.basic)).toMatchObject({
          type: 'basic',
          today: { sum: 10, count: 2 },
          yesterday: { sum: 8, count: 1 },
          // Up to 12:00, its minute included: the event at 12:00 yesterday counts.
          yesterdayAtThisTime: { sum: 8, count: 1 },
          change: 25,
          sparkline: sparkline(starts, { '2026-11-14': 3, '2026-11-27': 8, '2026-11-28': 10 }, 0),
        });
        expect(byId(ids.dual)).toMatchObject({
          type: 'dual',
          today: { positive: 10, negative: 4, net: 6, count: 2 },
          yesterday: { positive: 0, negative: 3, net: -3, count: 1 },
          yesterdayAtThisTime: { positive: 0, negative: 3, net: -3, count: 1 },
          change: 300,
          sparkline: sparkline(starts, { '2026-11-27': -3, '2026-11-28': 6 }, 0),
        });
        expect(byId(ids.average)).toMatchObject({
          type: 'average',
          today: { mean: 6, sum: 12, count: 2 },
          yesterday: { mean: null, sum: 0, count: 0 },
          yesterdayAtThisTime: { mean: null, sum: 0, count: 0 },
          change: null,
          sparkline: sparkline(starts, { '2026-11-20': 10, '2026-11-28': 6 }, null),
        });
      });

      it('local days of the time zone', async () => {
        // 07:00 on the 28th in New York (UTC-5): today began at 05:00 UTC.
        const response = await get(`/api/projects/${project.id}/overview?tz=America/New_York`);
        expectOk(response);
        const body = response.json();
        expect(body.tz).toBe('America/New_York');
        const basic = body.metrics.find((m: { id: string }) => m.id === ids.basic);
        const starts = days('2026-11-14', 5);
        // Today so far (since 05:00 UTC) against yesterday up to 07:00 local: the event at 12:00
        // UTC on the 27th, not the one at 01:00 UTC on the 28th (yesterday evening).
        expect(basic).toMatchObject({
          today: { sum: 5, count: 1 },
          yesterday: { sum: 13, count: 2 },
          yesterdayAtThisTime: { sum: 8, count: 1 },
          change: expect.closeTo(((5 - 8) / 8) * 100, 6),
          sparkline: sparkline(starts, { '2026-11-27': 13, '2026-11-28': 5 }, 0),
        });
      });
    });

    describe('access', () => {
      let project: TestProject;
      let metric: Metric;
      let outsider: Session;
      let guest: Session;
      let readKey: { id: string; secret: string };
      let foreignReadKey: string;
      beforeAll(async () => {
        project = await newProject();
        metric = await metricWith(project, 'basic', [['2026-11-28T10:00:00Z', 2, { plan: 'pro' }]]);
        outsider = await signUp(ctx.app);
        const foreign = await createProject(ctx.app, outsider, uniqueName('foreign'));
        guest = await signUp(ctx.app);
        await addMember(ctx.app, owner, project.id, guest, 'guest');
        const keyOf = async (session: Session, projectId: string) => {
          const response = await call(ctx.app, 'POST', `/api/projects/${projectId}/keys`, {
            session,
            body: { name: 'reader', scope: 'read' },
          });
          expect(response.statusCode, response.body).toBe(201);
          return response.json().key as { id: string; secret: string };
        };
        readKey = await keyOf(owner, project.id);
        foreignReadKey = (await keyOf(outsider, foreign.id)).secret;
      });

      const urls = () => [
        `${seriesPath(project.id, metric.id)}?range=today`,
        `${seriesPath(project.id, metric.id)}.csv?range=today`,
        `${breakdownPath(project.id, metric.id)}?by=plan&range=today`,
        `/api/projects/${project.id}/metrics/${metric.id}/filters`,
        `/api/projects/${project.id}/overview`,
      ];
      const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

      it('any member, or a read key of the project, may read', async () => {
        for (const url of urls()) {
          for (const options of [
            { session: owner },
            { session: guest },
            { headers: bearer(readKey.secret) },
          ]) {
            const response = await call(ctx.app, 'GET', url, options);
            expect(response.statusCode, `${url} ${response.body}`).toBe(200);
          }
        }
        const body = await series(project, metric, { range: 'today' });
        expect(body.summary.total.sum).toBe(2);
      });

      it('an ingest key gets 403, an outsider 404, no credentials 401', async () => {
        for (const url of urls()) {
          expectProblem(
            await call(ctx.app, 'GET', url, { headers: bearer(project.apiKey) }),
            403,
            'KEY_SCOPE_FORBIDDEN',
          );
          expectProblem(
            await call(ctx.app, 'GET', url, { session: outsider }),
            404,
            'PROJECT_NOT_FOUND',
          );
          expectProblem(
            await call(ctx.app, 'GET', url, { headers: bearer(foreignReadKey) }),
            404,
            'PROJECT_NOT_FOUND',
          );
          expectProblem(await call(ctx.app, 'GET', url), 401, 'UNAUTHENTICATED');
          expectProblem(
            await call(ctx.app, 'GET', url, { headers: bearer(`mly_${'A1b2C3d4'.repeat(4)}`) }),
            401,
            'API_KEY_INVALID',
          );
        }
      });

      it('a revoked read key is refused at once', async () => {
        const response = await call(
          ctx.app,
          'DELETE',
          `/api/projects/${project.id}/keys/${readKey.id}`,
          { session: owner },
        );
        expectOk(response);
        for (const url of urls()) {
          expectProblem(
            await call(ctx.app, 'GET', url, { headers: bearer(readKey.secret) }),
            401,
            'API_KEY_INVALID',
          );
        }
      });

      it('an unknown metric is 404 METRIC_NOT_FOUND', async () => {
        for (const ref of ['00000000-0000-4000-8000-000000000000', 'no-such-metric']) {
          expectProblem(
            await get(`${seriesPath(project.id, ref)}?range=today`),
            404,
            'METRIC_NOT_FOUND',
          );
          expectProblem(
            await get(`${breakdownPath(project.id, ref)}?by=plan&range=today`),
            404,
            'METRIC_NOT_FOUND',
          );
        }
      });
    });

    describe('invalid queries', () => {
      let project: TestProject;
      let metric: Metric;
      beforeAll(async () => {
        project = await newProject();
        metric = await metricWith(project, 'basic', [['2026-11-28T10:00:00Z', 2, { plan: 'pro' }]]);
      });
      const seriesUrl = (q: string) => `${seriesPath(project.id, metric.id)}?${q}`;
      const breakdownUrl = (q: string) => `${breakdownPath(project.id, metric.id)}?${q}`;
      const overviewUrl = (q: string) => `/api/projects/${project.id}/overview?${q}`;

      /** Every URL answers 400 with the code; a failure lists each URL that does not. */
      async function expectCode(urls: readonly string[], code: string) {
        const responses = await Promise.all(urls.map((url) => get(url)));
        const codes = responses.map((r, i) => `${urls[i]} → ${r.statusCode} ${r.json().code}`);
        expect(codes).toEqual(urls.map((url) => `${url} → 400 ${code}`));
        for (const response of responses) expectProblem(response, 400, code);
      }

      it('gives the previous period bucket by bucket only when asked', async () => {
        const plain = (await get(seriesUrl('range=today'))).json();
        expect(plain.previousBuckets).toBeUndefined();
        const overlaid = (await get(seriesUrl('range=today&previous=true'))).json();
        expect(overlaid.previousBuckets).toHaveLength(plain.buckets.length);
        expect(overlaid.summary).toEqual(plain.summary);
      });

      it('QUERY_INVALID: unknown parameters, bad granularity, top or limit', async () => {
        await expectCode(
          [
            seriesUrl('range=today&foo=1'),
            seriesUrl('range=today&limit=5'),
            seriesUrl('range=today&filters=plan'),
            seriesUrl('range=today&filter[plan]=pro&filter[plan]=free'),
            seriesUrl('range=today&granularity=year'),
            seriesUrl('range=today&previous=yes'),
            seriesUrl('range=today&groupBy=plan&top=0'),
            seriesUrl('range=today&groupBy=plan&top=101'),
            seriesUrl('range=today&groupBy=plan&top=ten'),
            seriesUrl('range=today&groupBy=plan&top=1.5'),
            seriesUrl('range=today&groupBy=plan&top=-1'),
            seriesUrl('range=today&groupBy=plan&top='),
            breakdownUrl('range=today&by=plan&limit=0'),
            breakdownUrl('range=today&by=plan&limit=1001'),
            breakdownUrl('range=today&by=plan&limit=x'),
            breakdownUrl('range=today&by=plan&top=3'),
            overviewUrl('range=today'),
            overviewUrl('filter[plan]=pro'),
          ],
          'QUERY_INVALID',
        );
        // The limits themselves are accepted.
        expectOk(await get(seriesUrl('range=today&groupBy=plan&top=100')));
        expectOk(await get(breakdownUrl('range=today&by=plan&limit=1000')));
      });

      it('QUERY_INVALID: a repeated parameter, or a breakdown without "by"', async () => {
        await expectCode(
          [
            seriesUrl('from=2026-11-01&from=2026-11-02'),
            seriesUrl('range=today&range=yesterday'),
            seriesUrl('range=today&groupBy=plan&groupBy=country'),
            breakdownUrl('range=today'),
            breakdownUrl('range=today&by=plan&by=country'),
            overviewUrl('tz=UTC&tz=UTC'),
          ],
          'QUERY_INVALID',
        );
      });

      it('TIME_ZONE_INVALID: a zone that is not IANA', async () => {
        await expectCode(
          [
            seriesUrl('range=today&tz=Mars/Olympus_Mons'),
            seriesUrl('range=today&tz=Europe/Pariss'),
            seriesUrl('range=today&tz='),
            breakdownUrl('by=plan&range=today&tz=Nowhere'),
            overviewUrl('tz=Nowhere/Else'),
          ],
          'TIME_ZONE_INVALID',
        );
      });

      it('RANGE_INVALID: bad dates, from not before to, range with from, unknown preset', async () => {
        await expectCode(
          [
            seriesUrl('from=yesterday'),
            seriesUrl('from=2026-13-01'),
            seriesUrl('from=2026-02-30'),
            seriesUrl('from=2026-11-01T25:00:00Z'),
            seriesUrl('from=not-a-date&to=2026-11-02'),
            seriesUrl('from=2026-11-01&to=garbage'),
            seriesUrl('from=2026-11-02&to=2026-11-01'),
            seriesUrl('from=2026-11-02T00:00:00Z&to=2026-11-02T00:00:00Z'),
            seriesUrl('range=today&from=2026-11-01'),
            seriesUrl('range=last_7_days&to=2026-11-28'),
            seriesUrl('range=last_8_days'),
            seriesUrl('range=forever'),
            seriesUrl('range='),
            seriesUrl('granularity=day'),
            breakdownUrl('by=plan&range=next_week'),
            breakdownUrl('by=plan&from=2026-11-02&to=2026-11-01'),
          ],
          'RANGE_INVALID',
        );
      });

      it('TOO_MANY_BUCKETS: a year by minute', async () => {
        await expectCode(
          [
            seriesUrl('from=2025-12-01&to=2026-11-28&granularity=minute'),
            seriesUrl('range=last_12_months&granularity=minute'),
            seriesUrl('range=last_12_months&granularity=hour'),
          ],
          'TOO_MANY_BUCKETS',
        );
        // 5000 hours fit; 5001 do not.
        const from = t('2026-05-01T00:00:00Z');
        expectOk(
          await get(seriesUrl(`from=${iso(from)}&to=${iso(from + 5000 * HOUR)}&granularity=hour`)),
        );
        expectProblem(
          await get(seriesUrl(`from=${iso(from)}&to=${iso(from + 5001 * HOUR)}&granularity=hour`)),
          400,
          'TOO_MANY_BUCKETS',
        );
      });

      it('FILTERS_INVALID: a filter key or value that cannot exist', async () => {
        await expectCode(
          [
            seriesUrl('range=today&filter[]=x'),
            seriesUrl('range=today&filter[pl%22an]=x'),
            seriesUrl('range=today&filter[plan]='),
            seriesUrl(`range=today&filter[${'k'.repeat(33)}]=x`),
            breakdownUrl('by=plan&range=today&filter[a%5Cb]=x'),
          ],
          'FILTERS_INVALID',
        );
      });

      it('filter keys and values are matched as stored: trimmed and lower-cased', async () => {
        const body = await series(project, metric, {
          range: 'today',
          granularity: 'day',
          'filter[ Plan ]': 'PRO',
        });
        expect(body.filters).toEqual({ plan: 'pro' });
        expect(body.summary.total).toMatchObject({ sum: 2, count: 1 });
      });
    });

    describe('instance limits', () => {
      let limited: TestContext;
      let user: Session;
      let project: TestProject;
      let metricId: string;
      beforeAll(async () => {
        limited = await createTestApp(dialect, {
          env: { ...FAST_INGEST, MEASURELY_MAX_QUERY_DAYS: '30', MEASURELY_MAX_BUCKETS: '100' },
        });
        user = await signUp(limited.app);
        project = await createProject(limited.app, user, 'limited');
        metricId = (await createMetric(limited.app, user, project.id, { name: 'm', type: 'basic' }))
          .id;
      });
      afterAll(() => limited.close());
      const read = (path: string, q: string) =>
        call(limited.app, 'GET', `/api/projects/${project.id}/metrics/${metricId}/${path}?${q}`, {
          session: user,
        });

      it('RANGE_TOO_LONG when the buckets widen a short range past the limit', async () => {
        // Two days asked for, but month buckets would answer all of October and November.
        expectProblem(
          await read('series', 'from=2026-10-31&to=2026-11-02&granularity=month'),
          400,
          'RANGE_TOO_LONG',
        );
        expectOk(await read('series', 'from=2026-10-31&to=2026-11-02&granularity=day'));
      });

      it('RANGE_TOO_LONG past MEASURELY_MAX_QUERY_DAYS, for series and breakdown', async () => {
        for (const q of [
          'from=2026-10-01&to=2026-11-01&granularity=month',
          'range=last_90_days&granularity=month',
          'from=2026-01-01&granularity=month',
        ]) {
          expectProblem(await read('series', q), 400, 'RANGE_TOO_LONG');
          expectProblem(
            await read('breakdown', `by=plan&${q.replace(/&granularity=\w+/, '')}`),
            400,
            'RANGE_TOO_LONG',
          );
        }
        for (const q of [
          'from=2026-10-01&to=2026-10-31&granularity=day',
          'range=last_30_days&granularity=day',
          // 30 local days that hold the 25-hour October 25th.
          'from=2026-10-10&to=2026-11-09&granularity=day&tz=Europe/Paris',
        ]) {
          expectOk(await read('series', q));
          expectOk(await read('breakdown', `by=plan&${q.replace(/&granularity=\w+/, '')}`));
        }
      });

      it('TOO_MANY_BUCKETS past MEASURELY_MAX_BUCKETS', async () => {
        const response = await read(
          'series',
          'from=2026-11-01T00:00:00Z&to=2026-11-05T04:00:00Z&granularity=hour',
        );
        expectOk(response);
        expect(response.json().buckets).toHaveLength(100);
        expectProblem(
          await read(
            'series',
            'from=2026-11-01T00:00:00Z&to=2026-11-05T05:00:00Z&granularity=hour',
          ),
          400,
          'TOO_MANY_BUCKETS',
        );
      });
    });
  });
}
