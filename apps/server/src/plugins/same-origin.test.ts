import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signUp } from '../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../test/harness.js';

for (const dialect of DIALECTS) {
  describe(`cross-site requests [${dialect}]`, () => {
    let ctx: TestContext;
    beforeAll(async () => {
      ctx = await createTestApp(dialect);
    });
    afterAll(() => ctx.close());

    it('refuses a state change sent from another site, and changes nothing', async () => {
      const session = await signUp(ctx.app);
      const crossSite: Record<string, string>[] = [
        { origin: 'https://evil.example' },
        { 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'same-site' },
        { origin: 'null' },
      ];
      for (const headers of crossSite) {
        const response = await call(ctx.app, 'POST', '/api/projects', {
          session,
          body: { name: 'Planted' },
          headers,
        });
        expect(response.statusCode, JSON.stringify(headers)).toBe(403);
        expect(response.json().code).toBe('CROSS_SITE_REQUEST');
      }
      const logout = await call(ctx.app, 'POST', '/api/auth/logout', {
        session,
        headers: { origin: 'https://evil.example' },
      });
      expect(logout.statusCode).toBe(403);
      const list = await call(ctx.app, 'GET', '/api/projects', { session });
      expect(list.json().projects).toEqual([]);
      expect((await call(ctx.app, 'GET', '/api/auth/me', { session })).statusCode).toBe(200);
    });

    it('accepts the same origin, browsers without those headers, and reads from anywhere', async () => {
      const session = await signUp(ctx.app);
      const same = await call(ctx.app, 'POST', '/api/projects', {
        session,
        body: { name: 'Mine' },
        headers: { origin: 'http://localhost:80', 'sec-fetch-site': 'same-origin' },
      });
      expect(same.statusCode).toBe(201);
      const script = await call(ctx.app, 'POST', '/api/projects', {
        session,
        body: { name: 'CLI' },
      });
      expect(script.statusCode).toBe(201);
      const read = await call(ctx.app, 'GET', '/api/projects', {
        session,
        headers: { origin: 'https://elsewhere.example', 'sec-fetch-site': 'cross-site' },
      });
      expect(read.statusCode).toBe(200);
    });
  });
}
