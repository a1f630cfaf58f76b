import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../../test/assertions.js';
import { call, createMetric, createProject, signUp } from '../../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../../test/harness.js';
import {
  createPublicKey,
  freshIp,
  SITE,
  track,
  trackerFixture,
  trackerTotals,
} from '../tracker/tracker.fixtures.js';

// Public keys: publishable keys for the website tracker, only from their allowed origins.

for (const dialect of DIALECTS) {
  describe(`public keys [${dialect}]`, () => {
    let ctx: TestContext;
    beforeAll(async () => {
      ctx = await createTestApp(dialect);
    });
    afterAll(() => ctx.close());

    it('needs at least one allowed origin', async () => {
      const owner = await signUp(ctx.app);
      const project = await createProject(ctx.app, owner);
      for (const origins of [undefined, []]) {
        expectProblem(
          await createPublicKey(ctx, owner, project.id, origins),
          400,
          'ORIGINS_REQUIRED',
        );
      }
      const keys = await call(ctx.app, 'GET', `/api/projects/${project.id}/keys`, {
        session: owner,
      });
      expect(keys.json().keys).toHaveLength(1);
    });

    it('refuses origins that are not scheme://host[:port]', async () => {
      const owner = await signUp(ctx.app);
      const project = await createProject(ctx.app, owner);
      for (const origin of [
        'example.com',
        '*',
        'https://*',
        'https://example.com/shop',
        'https://example.com?ref=1',
        'https://example.com#top',
        'https://user:pw@example.com',
        'ftp://example.com',
        'https://*.com',
        'https://*.192.168.1.1',
        'https://a.*.example.com',
        'https://example.com:99999',
        'https://',
      ]) {
        const response = await createPublicKey(ctx, owner, project.id, [SITE, origin]);
        expectProblem(response, 400, 'ORIGIN_INVALID');
        expect(response.json().detail).toContain(origin);
      }
    });

    it('normalises origins, creates the basic tracker metrics and shows the snippet', async () => {
      const owner = await signUp(ctx.app);
      const project = await createProject(ctx.app, owner);
      const response = await call(ctx.app, 'POST', `/api/projects/${project.id}/keys`, {
        session: owner,
        body: {
          name: 'Website',
          scope: 'public',
          origins: [
            ' HTTPS://Shop.Example:443/ ',
            'http://localhost:8080',
            'https://*.Example.org',
            'https://shop.example',
            'https://bücher.example',
          ],
        },
        headers: { host: 'metrics.example.net' },
      });
      expect(response.statusCode, response.body).toBe(201);
      const key = response.json().key;
      expect(key).toMatchObject({
        scope: 'public',
        status: 'active',
        origins: [
          'https://shop.example',
          'http://localhost:8080',
          'https://*.example.org',
          'https://xn--bcher-kva.example',
        ],
        publishableKey: key.secret,
        snippet: `<script defer src="http://metrics.example.net/track.js" data-key="${key.secret}"></script>`,
      });

      // A publishable key is shown again in the list, with its origins and snippet.
      const list = await call(ctx.app, 'GET', `/api/projects/${project.id}/keys`, {
        session: owner,
        headers: { host: 'metrics.example.net' },
      });
      const listed = list.json().keys.find((k: { id: string }) => k.id === key.id);
      const { secret: _secret, ...withoutSecret } = key;
      expect(listed).toEqual(withoutSecret);
      // Other keys carry none of it.
      const ingest = list.json().keys.find((k: { scope: string }) => k.scope === 'ingest');
      expect(ingest).not.toHaveProperty('origins');
      expect(ingest).not.toHaveProperty('publishableKey');
      expect(ingest).not.toHaveProperty('snippet');

      const metrics = await call(ctx.app, 'GET', `/api/projects/${project.id}/metrics`, {
        session: owner,
      });
      expect(
        metrics
          .json()
          .metrics.map((m: { name: string; type: string }) => [m.name, m.type])
          .sort(),
      ).toEqual([
        ['pageviews', 'basic'],
        ['visitors', 'basic'],
      ]);

      // A second public key reuses them.
      expect((await createPublicKey(ctx, owner, project.id, [SITE])).statusCode).toBe(201);
      const again = await call(ctx.app, 'GET', `/api/projects/${project.id}/metrics`, {
        session: owner,
      });
      expect(again.json().metrics).toHaveLength(2);
    });

    it('reuses a basic metric of the name, and refuses the key when one is of another type', async () => {
      const owner = await signUp(ctx.app);
      const project = await createProject(ctx.app, owner);
      const existing = await createMetric(ctx.app, owner, project.id, {
        name: 'PageViews',
        type: 'basic',
      });
      await createMetric(ctx.app, owner, project.id, { name: 'visitors', type: 'average' });
      const refused = await createPublicKey(ctx, owner, project.id, [SITE]);
      expectProblem(refused, 409, 'TRACKER_METRIC_CONFLICT');
      expect(refused.json().detail).toContain('visitors');
      const keys = await call(ctx.app, 'GET', `/api/projects/${project.id}/keys`, {
        session: owner,
      });
      expect(keys.json().keys.map((k: { scope: string }) => k.scope)).toEqual(['ingest']);

      const other = await createProject(ctx.app, owner, 'Other');
      const reused = await createMetric(ctx.app, owner, other.id, {
        name: 'pageviews',
        type: 'basic',
      });
      expect((await createPublicKey(ctx, owner, other.id, [SITE])).statusCode).toBe(201);
      const metrics = (
        await call(ctx.app, 'GET', `/api/projects/${other.id}/metrics`, { session: owner })
      ).json().metrics as Array<{ id: string; name: string }>;
      expect(metrics.map((m) => m.name).sort()).toEqual(['pageviews', 'visitors']);
      expect(metrics.find((m) => m.name === 'pageviews')?.id).toBe(reused.id);
      expect(existing.id).not.toBe(reused.id);
    });

    it('keeps origins for public keys only, and lets owners change them', async () => {
      const f = await trackerFixture(ctx);
      const ingestWithOrigins = await call(ctx.app, 'POST', `/api/projects/${f.project.id}/keys`, {
        session: f.owner,
        body: { name: 'Backend', scope: 'ingest', origins: [SITE] },
      });
      expectProblem(ingestWithOrigins, 400, 'VALIDATION_FAILED');

      const url = `/api/projects/${f.project.id}/keys/${f.key.id}`;
      const changed = await call(ctx.app, 'PATCH', url, {
        session: f.owner,
        body: { name: 'Storefront', origins: ['https://new.example'] },
      });
      expect(changed.statusCode, changed.body).toBe(200);
      expect(changed.json().key).toMatchObject({
        name: 'Storefront',
        origins: ['https://new.example'],
        publishableKey: f.key.secret,
      });
      // From the next page view on.
      const view = { key: f.key.secret, path: '/' };
      expectProblem(await track(ctx, view, { ip: freshIp() }), 403, 'ORIGIN_NOT_ALLOWED');
      const fromNew = await track(ctx, view, { ip: freshIp(), origin: 'https://new.example' });
      expect(fromNew.statusCode, fromNew.body).toBe(202);

      for (const origins of [[], ['https://new.example/path']]) {
        const response = await call(ctx.app, 'PATCH', url, { session: f.owner, body: { origins } });
        expect(response.statusCode).toBe(400);
        expect(['ORIGINS_REQUIRED', 'ORIGIN_INVALID']).toContain(response.json().code);
      }
      const ingestUrl = `/api/projects/${f.project.id}/keys/${f.project.apiKeyId}`;
      expectProblem(
        await call(ctx.app, 'PATCH', ingestUrl, { session: f.owner, body: { origins: [SITE] } }),
        400,
        'VALIDATION_FAILED',
      );
      expectProblem(
        await call(ctx.app, 'PATCH', url, { session: f.owner, body: {} }),
        400,
        'VALIDATION_FAILED',
      );

      const developer = await signUp(ctx.app);
      await call(ctx.app, 'POST', `/api/projects/${f.project.id}/members`, {
        session: f.owner,
        body: { email: developer.user.email, role: 'developer' },
      });
      expectProblem(
        await call(ctx.app, 'PATCH', url, { session: developer, body: { name: 'Mine' } }),
        403,
        'FORBIDDEN',
      );

      await call(ctx.app, 'DELETE', url, { session: f.owner });
      expectProblem(
        await call(ctx.app, 'PATCH', url, { session: f.owner, body: { name: 'Again' } }),
        409,
        'KEY_REVOKED',
      );
    });

    it('rotates a public key: the new one is publishable, the old one refused', async () => {
      const f = await trackerFixture(ctx);
      const rotated = await call(
        ctx.app,
        'POST',
        `/api/projects/${f.project.id}/keys/${f.key.id}/rotate`,
        { session: f.owner },
      );
      expect(rotated.statusCode).toBe(200);
      const key = rotated.json().key;
      expect(key.secret).not.toBe(f.key.secret);
      expect(key).toMatchObject({ publishableKey: key.secret, origins: [SITE] });
      expect(key.snippet).toContain(`data-key="${key.secret}"`);
      const old = await track(ctx, { key: f.key.secret, path: '/' }, { ip: freshIp() });
      expectProblem(old, 401, 'API_KEY_INVALID');
      const fresh = await track(ctx, { key: key.secret, path: '/' }, { ip: freshIp() });
      expect(fresh.statusCode).toBe(202);
    });

    it('cannot read, nor send events through the ingestion API', async () => {
      const f = await trackerFixture(ctx);
      const bearer = { authorization: `Bearer ${f.key.secret}` };
      const event = await call(ctx.app, 'POST', '/event/v1/pageviews', {
        body: { value: 1 },
        headers: bearer,
      });
      expectProblem(event, 403, 'KEY_SCOPE_FORBIDDEN');
      const batch = await call(ctx.app, 'POST', '/event/v1/batch', {
        body: { events: [{ metric: 'pageviews', value: 1 }] },
        headers: bearer,
      });
      expectProblem(batch, 403, 'KEY_SCOPE_FORBIDDEN');
      for (const url of [
        `/api/projects/${f.project.id}/metrics/pageviews/series?range=today`,
        `/api/projects/${f.project.id}/metrics/pageviews/breakdown?by=path&range=today`,
        `/api/projects/${f.project.id}/overview`,
      ]) {
        expectProblem(
          await call(ctx.app, 'GET', url, { headers: bearer }),
          403,
          'KEY_SCOPE_FORBIDDEN',
        );
      }
      expect(await trackerTotals(ctx, f)).toEqual({ pageviews: 0, visitors: 0 });
    });
  });
}
