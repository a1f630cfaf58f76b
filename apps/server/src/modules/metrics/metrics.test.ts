import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../../test/assertions.js';
import {
  call,
  createKey,
  createMetric,
  createProject,
  type Session,
  signUp,
  type TestProject,
} from '../../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../../test/harness.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

for (const dialect of DIALECTS) {
  describe(`metrics [${dialect}]`, () => {
    let ctx: TestContext;
    let owner: Session;
    let project: TestProject;
    const metricsUrl = () => `/api/projects/${project.id}/metrics`;
    const metricUrl = (idOrName: string) =>
      `/api/projects/${project.id}/metrics/${encodeURIComponent(idOrName)}`;
    const create = (body: unknown) => call(ctx.app, 'POST', metricsUrl(), { session: owner, body });

    beforeAll(async () => {
      ctx = await createTestApp(dialect);
      owner = await signUp(ctx.app);
      project = await createProject(ctx.app, owner);
    });
    afterAll(() => ctx.close());

    it('lists and shows metrics to a read key of the project, and to no other key', async () => {
      const metric = await createMetric(ctx.app, owner, project.id, {
        name: 'read-by-key',
        type: 'basic',
      });
      const read = await createKey(ctx.app, owner, project.id, 'read');
      const asKey = (url: string, secret: string) =>
        call(ctx.app, 'GET', url, { headers: { authorization: `Bearer ${secret}` } });
      const listed = await asKey(metricsUrl(), read.secret);
      expect(listed.statusCode).toBe(200);
      expect(listed.json().metrics.map((m: { id: string }) => m.id)).toContain(metric.id);
      const shown = await asKey(metricUrl('read-by-key'), read.secret);
      expect(shown.statusCode).toBe(200);
      expect(shown.json().metric).toMatchObject({ id: metric.id, name: 'read-by-key' });
      // An ingest key reads nothing; a read key changes nothing and sees no other project.
      expectProblem(await asKey(metricsUrl(), project.apiKey), 403, 'KEY_SCOPE_FORBIDDEN');
      const other = await createProject(ctx.app, owner, 'Other');
      const otherRead = await createKey(ctx.app, owner, other.id, 'read');
      expectProblem(await asKey(metricsUrl(), otherRead.secret), 404, 'PROJECT_NOT_FOUND');
      const renamed = await call(ctx.app, 'PATCH', metricUrl('read-by-key'), {
        headers: { authorization: `Bearer ${read.secret}` },
        body: { name: 'renamed' },
      });
      expectProblem(renamed, 403, 'KEY_SCOPE_FORBIDDEN');
      expect(renamed.json().detail).toMatch(/needs a signed-in member/);
      expectProblem(
        await asKey(`/api/projects/${project.id}/members`, read.secret),
        403,
        'KEY_SCOPE_FORBIDDEN',
      );
      // Without any key or session: still a request to sign in.
      expectProblem(await call(ctx.app, 'GET', metricsUrl()), 401, 'UNAUTHENTICATED');
    });

    it('creates a basic metric with a UUID id and empty totals', async () => {
      const response = await create({ name: 'signups', type: 'basic' });
      expect(response.statusCode).toBe(201);
      const { metric } = response.json();
      expect(metric.id).toMatch(UUID);
      expect(metric).toMatchObject({
        projectId: project.id,
        name: 'signups',
        type: 'basic',
        unit: null,
        positiveName: null,
        negativeName: null,
        total: 0,
        totalExact: '0',
        positive: null,
        negative: null,
        average: null,
        eventCount: 0,
        lastEventAt: null,
      });
      expect(Number.isNaN(Date.parse(metric.createdAt))).toBe(false);
    });

    it('creates a dual metric whose sides default to "positive" and "negative"', async () => {
      const defaults = await create({ name: 'dual-defaults', type: 'dual' });
      expect(defaults.statusCode).toBe(201);
      expect(defaults.json().metric).toMatchObject({
        type: 'dual',
        positiveName: 'positive',
        negativeName: 'negative',
        total: 0,
        totalExact: '0',
        positive: 0,
        negative: 0,
      });

      const named = await create({
        name: 'accounts',
        type: 'dual',
        positiveName: 'created',
        negativeName: 'deleted',
      });
      expect(named.statusCode).toBe(201);
      expect(named.json().metric).toMatchObject({
        positiveName: 'created',
        negativeName: 'deleted',
      });
    });

    it('creates an average metric', async () => {
      const response = await create({ name: 'latency', type: 'average', unit: 'milliseconds' });
      expect(response.statusCode).toBe(201);
      expect(response.json().metric).toMatchObject({
        type: 'average',
        average: null,
        eventCount: 0,
        unit: { name: 'Milliseconds', symbol: 'ms' },
        positiveName: null,
        negativeName: null,
      });
    });

    it('refuses side names on a non-dual metric', async () => {
      for (const type of ['basic', 'average']) {
        const response = await create({ name: `sides-${type}`, type, positiveName: 'up' });
        expect(response.statusCode).toBe(400);
        expect(response.json().code).toBe('VALIDATION_FAILED');
      }
      const negative = await create({ name: 'sides-neg', type: 'basic', negativeName: 'down' });
      expect(negative.statusCode).toBe(400);
      expect(negative.json().code).toBe('VALIDATION_FAILED');
      // Nothing was created on the way.
      expect(
        (await call(ctx.app, 'GET', metricUrl('sides-basic'), { session: owner })).statusCode,
      ).toBe(404);
    });

    it('refuses an unknown metric type, naming the types it takes', async () => {
      const response = await create({ name: 'weird', type: 'median' });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        detail: '/type: must be one of "basic", "dual", "average"',
        errors: [{ pointer: '/type', message: 'must be one of "basic", "dual", "average"' }],
      });
    });

    it('takes a unit as a preset id, a custom {name, symbol}, or null', async () => {
      const preset = await create({ name: 'revenue', type: 'basic', unit: 'usd' });
      expect(preset.statusCode).toBe(201);
      expect(preset.json().metric.unit).toEqual({ name: 'US dollar', symbol: '$' });

      const custom = await create({
        name: 'coffee',
        type: 'basic',
        unit: { name: 'Cups', symbol: 'cup' },
      });
      expect(custom.statusCode).toBe(201);
      expect(custom.json().metric.unit).toEqual({ name: 'Cups', symbol: 'cup' });

      const none = await create({ name: 'no-unit', type: 'basic', unit: null });
      expect(none.statusCode).toBe(201);
      expect(none.json().metric.unit).toBeNull();

      const unknown = await create({ name: 'bad-unit', type: 'basic', unit: 'furlongs' });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json().code).toBe('VALIDATION_FAILED');

      const incomplete = await create({ name: 'bad-unit', type: 'basic', unit: { name: 'Cups' } });
      expect(incomplete.statusCode).toBe(400);
      expect(incomplete.json().code).toBe('VALIDATION_FAILED');
    });

    it('lists the preset units', async () => {
      const response = await call(ctx.app, 'GET', '/api/units');
      expect(response.statusCode).toBe(200);
      const { units } = response.json();
      expect(units).toContainEqual({ id: 'usd', name: 'US dollar', symbol: '$' });
      expect(units).toContainEqual({ id: 'percent', name: 'Percent', symbol: '%' });
      for (const unit of units) {
        expect(unit).toEqual({
          id: expect.any(String),
          name: expect.any(String),
          symbol: expect.any(String),
        });
      }
      // Every listed id is accepted as a metric's unit.
      for (const unit of units) {
        const metric = await create({ name: `unit-${unit.id}`, type: 'basic', unit: unit.id });
        expect(metric.statusCode).toBe(201);
        expect(metric.json().metric.unit).toEqual({ name: unit.name, symbol: unit.symbol });
      }
    });

    it('accepts names of 1 to 50 characters only', async () => {
      expect((await create({ name: 'a', type: 'basic' })).statusCode).toBe(201);
      const fifty = 'n'.repeat(50);
      const ok = await create({ name: fifty, type: 'basic' });
      expect(ok.statusCode).toBe(201);
      expect(ok.json().metric.name).toBe(fifty);

      for (const name of ['', 'm'.repeat(51)]) {
        const response = await create({ name, type: 'basic' });
        expect(response.statusCode).toBe(400);
        expect(response.json().code).toBe('VALIDATION_FAILED');
        expect(response.json().errors.map((e: { pointer: string }) => e.pointer)).toContain(
          '/name',
        );
      }
    });

    it('refuses a name without any visible character', async () => {
      for (const name of [' ', '   ']) {
        const response = await create({ name, type: 'basic' });
        expect(response.statusCode).toBe(400);
        expect(response.json().code).toBe('VALIDATION_FAILED');
      }
      const metric = await createMetric(ctx.app, owner, project.id, {
        name: 'blank-rename',
        type: 'basic',
      });
      const rename = await call(ctx.app, 'PATCH', metricUrl(metric.id), {
        session: owner,
        body: { name: '  ' },
      });
      expect(rename.statusCode).toBe(400);
      expect(rename.json().code).toBe('VALIDATION_FAILED');
    });

    it('trims the spaces around a name', async () => {
      const response = await create({ name: '  spaced out  ', type: 'basic' });
      expect(response.statusCode).toBe(201);
      expect(response.json().metric.name).toBe('spaced out');
    });

    it('refuses a "/" or a control character in a name', async () => {
      for (const name of ['a/b', '/', 'tab\there', 'new\nline']) {
        const response = await create({ name, type: 'basic' });
        expect(response.statusCode).toBe(400);
        expect(response.json().code).toBe('VALIDATION_FAILED');
      }
    });

    it('refuses a name that looks like a metric id', async () => {
      const response = await create({
        name: '0b6c4a4e-4d0f-4c8e-9b1a-2f3e4d5c6b7a',
        type: 'basic',
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('VALIDATION_FAILED');
      const upper = await create({ name: '0B6C4A4E-4D0F-4C8E-9B1A-2F3E4D5C6B7A', type: 'basic' });
      expect(upper.statusCode).toBe(400);
    });

    it('refuses the reserved name "batch", whatever its case', async () => {
      for (const name of ['batch', 'Batch', ' BATCH ']) {
        const response = await create({ name, type: 'basic' });
        expect(response.statusCode).toBe(400);
        expect(response.json().code).toBe('VALIDATION_FAILED');
      }
      expect((await create({ name: 'batches', type: 'basic' })).statusCode).toBe(201);
    });

    it('refuses unknown fields', async () => {
      const response = await create({ name: 'extra', type: 'basic', colour: 'red' });
      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('VALIDATION_FAILED');
    });

    it('answers 409 METRIC_NAME_TAKEN for a name already used, whatever its case', async () => {
      expect((await create({ name: 'Orders', type: 'basic' })).statusCode).toBe(201);

      const same = await create({ name: 'Orders', type: 'basic' });
      expect(same.statusCode).toBe(409);
      expect(same.headers['content-type']).toContain('application/problem+json');
      expect(same.json().code).toBe('METRIC_NAME_TAKEN');

      const otherCase = await create({ name: 'orders', type: 'dual' });
      expect(otherCase.statusCode).toBe(409);
      expect(otherCase.json().code).toBe('METRIC_NAME_TAKEN');

      const padded = await create({ name: '  ORDERS ', type: 'average' });
      expect(padded.statusCode).toBe(409);
      expect(padded.json().code).toBe('METRIC_NAME_TAKEN');

      const list = await call(ctx.app, 'GET', metricsUrl(), { session: owner });
      const names = list.json().metrics.map((m: { name: string }) => m.name.toLowerCase());
      expect(names.filter((n: string) => n === 'orders')).toHaveLength(1);
    });

    it('answers 409 METRIC_NAME_TAKEN when renaming onto a taken name', async () => {
      await createMetric(ctx.app, owner, project.id, { name: 'Signups-taken', type: 'basic' });
      const other = await createMetric(ctx.app, owner, project.id, {
        name: 'rename-me',
        type: 'basic',
      });
      const response = await call(ctx.app, 'PATCH', metricUrl(other.id), {
        session: owner,
        body: { name: 'signups-TAKEN' },
      });
      expect(response.statusCode).toBe(409);
      expect(response.json().code).toBe('METRIC_NAME_TAKEN');
      const unchanged = await call(ctx.app, 'GET', metricUrl(other.id), { session: owner });
      expect(unchanged.json().metric.name).toBe('rename-me');
    });

    it('lets a metric change the case of its own name', async () => {
      const metric = await createMetric(ctx.app, owner, project.id, {
        name: 'pageviews',
        type: 'basic',
      });
      const response = await call(ctx.app, 'PATCH', metricUrl(metric.id), {
        session: owner,
        body: { name: 'PageViews' },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json().metric.name).toBe('PageViews');
    });

    it('allows the same name in two different projects', async () => {
      const other = await createProject(ctx.app, owner, 'Other project');
      const a = await call(ctx.app, 'POST', `/api/projects/${other.id}/metrics`, {
        session: owner,
        body: { name: 'signups', type: 'basic' },
      });
      expect(a.statusCode).toBe(201);
      expect(a.json().metric.projectId).toBe(other.id);

      const stranger = await signUp(ctx.app);
      const theirs = await createProject(ctx.app, stranger);
      const b = await call(ctx.app, 'POST', `/api/projects/${theirs.id}/metrics`, {
        session: stranger,
        body: { name: 'SIGNUPS', type: 'dual' },
      });
      expect(b.statusCode).toBe(201);
    });

    it('lists the metrics of a project in creation order', async () => {
      const fresh = await createProject(ctx.app, owner, 'Listing');
      const url = `/api/projects/${fresh.id}/metrics`;
      const empty = await call(ctx.app, 'GET', url, { session: owner });
      expect(empty.statusCode).toBe(200);
      expect(empty.json()).toEqual({ metrics: [] });

      const first = await createMetric(ctx.app, owner, fresh.id, { name: 'one', type: 'basic' });
      ctx.clock.advance(1000);
      const second = await createMetric(ctx.app, owner, fresh.id, { name: 'two', type: 'dual' });
      const list = await call(ctx.app, 'GET', url, { session: owner });
      expect(list.statusCode).toBe(200);
      expect(list.json().metrics.map((m: { id: string }) => m.id)).toEqual([first.id, second.id]);
      expect(list.json().metrics[1]).toMatchObject({ name: 'two', type: 'dual', total: 0 });
    });

    it('gets a metric by id and by name, the name in any case', async () => {
      const created = await createMetric(ctx.app, owner, project.id, {
        name: 'Downloads',
        type: 'basic',
        unit: 'bytes',
      });
      for (const key of [
        created.id,
        created.id.toUpperCase(),
        'Downloads',
        'downloads',
        'DOWNLOADS',
      ]) {
        const response = await call(ctx.app, 'GET', metricUrl(key), { session: owner });
        expect(response.statusCode, key).toBe(200);
        expect(response.json().metric).toMatchObject({
          id: created.id,
          name: 'Downloads',
          unit: { name: 'Bytes', symbol: 'B' },
          total: 0,
          totalExact: '0',
          eventCount: 0,
          lastEventAt: null,
        });
      }
    });

    it('gets a metric whose name has spaces and non-ASCII letters by that name', async () => {
      const name = 'École visits ☕';
      const created = await createMetric(ctx.app, owner, project.id, { name, type: 'basic' });
      expect(created.name).toBe(name);
      const response = await call(ctx.app, 'GET', metricUrl(name), { session: owner });
      expect(response.statusCode).toBe(200);
      expect(response.json().metric.id).toBe(created.id);
    });

    it('renames a metric and changes its unit', async () => {
      const metric = await createMetric(ctx.app, owner, project.id, {
        name: 'old-name',
        type: 'basic',
        unit: 'usd',
      });
      ctx.clock.advance(60_000);
      const response = await call(ctx.app, 'PATCH', metricUrl('old-name'), {
        session: owner,
        body: { name: 'new-name', unit: 'eur' },
      });
      expect(response.statusCode).toBe(200);
      const updated = response.json().metric;
      expect(updated).toMatchObject({
        id: metric.id,
        name: 'new-name',
        unit: { name: 'Euro', symbol: '€' },
        type: 'basic',
      });
      expect(Date.parse(updated.updatedAt)).toBeGreaterThan(Date.parse(updated.createdAt));

      expect(
        (await call(ctx.app, 'GET', metricUrl('old-name'), { session: owner })).statusCode,
      ).toBe(404);
      expect(
        (await call(ctx.app, 'GET', metricUrl('new-name'), { session: owner })).statusCode,
      ).toBe(200);

      const custom = await call(ctx.app, 'PATCH', metricUrl(metric.id), {
        session: owner,
        body: { unit: { name: 'Credits', symbol: 'cr' } },
      });
      expect(custom.statusCode).toBe(200);
      expect(custom.json().metric.unit).toEqual({ name: 'Credits', symbol: 'cr' });

      const cleared = await call(ctx.app, 'PATCH', metricUrl(metric.id), {
        session: owner,
        body: { unit: null },
      });
      expect(cleared.statusCode).toBe(200);
      expect(cleared.json().metric.unit).toBeNull();
      expect(cleared.json().metric.name).toBe('new-name');
    });

    it('renames the sides of a dual metric, but not of another type', async () => {
      const dual = await createMetric(ctx.app, owner, project.id, {
        name: 'balance',
        type: 'dual',
      });
      const response = await call(ctx.app, 'PATCH', metricUrl(dual.id), {
        session: owner,
        body: { positiveName: 'deposits', negativeName: 'withdrawals' },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json().metric).toMatchObject({
        positiveName: 'deposits',
        negativeName: 'withdrawals',
      });

      const one = await call(ctx.app, 'PATCH', metricUrl(dual.id), {
        session: owner,
        body: { negativeName: 'refunds' },
      });
      expect(one.json().metric).toMatchObject({
        positiveName: 'deposits',
        negativeName: 'refunds',
      });

      const basic = await createMetric(ctx.app, owner, project.id, {
        name: 'basic-sides',
        type: 'basic',
      });
      const refused = await call(ctx.app, 'PATCH', metricUrl(basic.id), {
        session: owner,
        body: { positiveName: 'up' },
      });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().code).toBe('VALIDATION_FAILED');
      const still = await call(ctx.app, 'GET', metricUrl(basic.id), { session: owner });
      expect(still.json().metric.positiveName).toBeNull();
    });

    it('never changes the type of a metric', async () => {
      const metric = await createMetric(ctx.app, owner, project.id, {
        name: 'typed',
        type: 'basic',
      });
      const response = await call(ctx.app, 'PATCH', metricUrl(metric.id), {
        session: owner,
        body: { type: 'dual' },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('VALIDATION_FAILED');
      const after = await call(ctx.app, 'GET', metricUrl(metric.id), { session: owner });
      expect(after.json().metric.type).toBe('basic');
    });

    it('validates a rename like a new name, and refuses an empty patch', async () => {
      const metric = await createMetric(ctx.app, owner, project.id, {
        name: 'renamed-badly',
        type: 'basic',
      });
      for (const body of [
        { name: 'batch' },
        { name: 'a/b' },
        { name: 'x'.repeat(51) },
        { name: '' },
        { name: '7d444840-9dc0-11d1-b245-5ffdce74fad2' },
        {},
      ]) {
        const response = await call(ctx.app, 'PATCH', metricUrl(metric.id), {
          session: owner,
          body,
        });
        expect(response.statusCode, JSON.stringify(body)).toBe(400);
        expect(response.json().code).toBe('VALIDATION_FAILED');
      }
      const after = await call(ctx.app, 'GET', metricUrl(metric.id), { session: owner });
      expect(after.json().metric.name).toBe('renamed-badly');
    });

    it('deletes a metric by id: it is then gone by id and by name', async () => {
      const metric = await createMetric(ctx.app, owner, project.id, {
        name: 'doomed',
        type: 'basic',
      });
      const response = await call(ctx.app, 'DELETE', metricUrl(metric.id), { session: owner });
      expect(response.statusCode).toBe(204);
      expect(response.body).toBe('');

      for (const key of [metric.id, 'doomed']) {
        const gone = await call(ctx.app, 'GET', metricUrl(key), { session: owner });
        expect(gone.statusCode).toBe(404);
        expect(gone.json().code).toBe('METRIC_NOT_FOUND');
      }
      const again = await call(ctx.app, 'DELETE', metricUrl(metric.id), { session: owner });
      expect(again.statusCode).toBe(404);
      expect(again.json().code).toBe('METRIC_NOT_FOUND');

      const list = await call(ctx.app, 'GET', metricsUrl(), { session: owner });
      expect(list.json().metrics.map((m: { id: string }) => m.id)).not.toContain(metric.id);

      // The name is free again.
      expect((await create({ name: 'Doomed', type: 'dual' })).statusCode).toBe(201);
    });

    it('deletes a metric by name', async () => {
      const metric = await createMetric(ctx.app, owner, project.id, {
        name: 'Ephemeral',
        type: 'average',
      });
      const response = await call(ctx.app, 'DELETE', metricUrl('ephemeral'), { session: owner });
      expect(response.statusCode).toBe(204);
      const gone = await call(ctx.app, 'GET', metricUrl(metric.id), { session: owner });
      expect(gone.statusCode).toBe(404);
      expect(gone.json().code).toBe('METRIC_NOT_FOUND');
    });

    it('answers 404 METRIC_NOT_FOUND for an unknown metric, by id or by name', async () => {
      for (const key of ['00000000-0000-4000-8000-000000000000', 'no-such-metric']) {
        for (const method of ['GET', 'DELETE'] as const) {
          const response = await call(ctx.app, method, metricUrl(key), { session: owner });
          expect(response.statusCode).toBe(404);
          expect(response.json().code).toBe('METRIC_NOT_FOUND');
        }
        const patch = await call(ctx.app, 'PATCH', metricUrl(key), {
          session: owner,
          body: { name: 'whatever' },
        });
        expect(patch.statusCode).toBe(404);
        expect(patch.json().code).toBe('METRIC_NOT_FOUND');
      }
    });

    it('does not reach a metric of another project through a project I belong to', async () => {
      const other = await createProject(ctx.app, owner, 'Second project');
      const hidden = await createMetric(ctx.app, owner, other.id, {
        name: 'only-in-second',
        type: 'basic',
      });
      for (const key of [hidden.id, 'only-in-second']) {
        const get = await call(ctx.app, 'GET', metricUrl(key), { session: owner });
        expect(get.statusCode).toBe(404);
        expect(get.json().code).toBe('METRIC_NOT_FOUND');
        const patch = await call(ctx.app, 'PATCH', metricUrl(key), {
          session: owner,
          body: { name: 'hijacked' },
        });
        expect(patch.statusCode).toBe(404);
        const del = await call(ctx.app, 'DELETE', metricUrl(key), { session: owner });
        expect(del.statusCode).toBe(404);
      }
      const list = await call(ctx.app, 'GET', metricsUrl(), { session: owner });
      expect(list.json().metrics.map((m: { id: string }) => m.id)).not.toContain(hidden.id);

      const intact = await call(ctx.app, 'GET', `/api/projects/${other.id}/metrics/${hidden.id}`, {
        session: owner,
      });
      expect(intact.statusCode).toBe(200);
      expect(intact.json().metric.name).toBe('only-in-second');
    });

    it('hides the metrics of a project I do not belong to', async () => {
      const stranger = await signUp(ctx.app);
      const metric = await createMetric(ctx.app, owner, project.id, {
        name: 'private',
        type: 'basic',
      });
      const list = await call(ctx.app, 'GET', metricsUrl(), { session: stranger });
      expect(list.statusCode).toBe(404);
      expect(list.json().code).toBe('PROJECT_NOT_FOUND');
      const get = await call(ctx.app, 'GET', metricUrl(metric.id), { session: stranger });
      expect(get.statusCode).toBe(404);
      expect(get.json().code).toBe('PROJECT_NOT_FOUND');
      const post = await call(ctx.app, 'POST', metricsUrl(), {
        session: stranger,
        body: { name: 'intruder', type: 'basic' },
      });
      expect(post.statusCode).toBe(404);
    });

    it('requires a session', async () => {
      const list = await call(ctx.app, 'GET', metricsUrl());
      expect(list.statusCode).toBe(401);
      expect(list.json().code).toBe('UNAUTHENTICATED');
      const post = await call(ctx.app, 'POST', metricsUrl(), {
        body: { name: 'anonymous', type: 'basic' },
      });
      expect(post.statusCode).toBe(401);
    });
  });
}
