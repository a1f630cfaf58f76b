import { describe, expect, it } from 'vitest';
import { expectProblem } from '../../test/assertions.js';
import { call, createMetric, createProject, signUp } from '../../test/factories.js';
import { createTestApp, DIALECTS } from '../../test/harness.js';

for (const dialect of DIALECTS) {
  describe(`[${dialect}] ingestion while the database fails`, () => {
    it('answers 500 STORAGE_FAILED, safe to retry, with or without an Idempotency-Key', async () => {
      const ctx = await createTestApp(dialect);
      try {
        const owner = await signUp(ctx.app);
        const project = await createProject(ctx.app, owner);
        await createMetric(ctx.app, owner, project.id, { name: 'signups', type: 'basic' });
        const send = (url: string, body: unknown, headers: Record<string, string> = {}) =>
          call(ctx.app, 'POST', url, {
            headers: { authorization: `Bearer ${project.apiKey}`, ...headers },
            body,
          });
        // The key, its limits and the metric are now cached: no query is needed to admit.
        expect((await send('/event/v1/signups', { value: 1 })).statusCode).toBe(200);

        // The database goes away under the running server.
        if (ctx.storage.sqlite !== undefined) ctx.storage.sqlite.close();
        else await ctx.storage.db.destroy();

        expectProblem(await send('/event/v1/signups', { value: 1 }), 500, 'STORAGE_FAILED');
        const keyed = await send('/event/v1/signups', { value: 1 }, { 'idempotency-key': 'k-1' });
        expectProblem(keyed, 500, 'STORAGE_FAILED');
        expect(keyed.json().detail).toMatch(/safe to retry/);
        const batch = await send('/event/v1/batch', { events: [{ metric: 'signups', value: 2 }] });
        expectProblem(batch, 500, 'STORAGE_FAILED');
      } finally {
        await ctx.app.close().catch(() => undefined);
        await ctx.storage.close().catch(() => undefined);
        await ctx.database.drop();
      }
    });
  });
}
