import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../test/assertions.js';
import { call, createKey, createProject, signUp, type TestProject } from '../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../test/harness.js';

for (const dialect of DIALECTS) {
  describe(`read access with an API key [${dialect}]`, () => {
    let ctx: TestContext;
    let project: TestProject;
    let publicKey: string;
    const overview = (key: string) =>
      call(ctx.app, 'GET', `/api/projects/${project.id}/overview`, {
        headers: { authorization: `Bearer ${key}` },
      });

    beforeAll(async () => {
      ctx = await createTestApp(dialect);
      const owner = await signUp(ctx.app);
      project = await createProject(ctx.app, owner);
      const created = await call(ctx.app, 'POST', `/api/projects/${project.id}/keys`, {
        session: owner,
        body: { name: 'Website', scope: 'public', origins: ['https://example.com'] },
      });
      expect(created.statusCode, created.body).toBe(201);
      publicKey = created.json().key.secret;
      const read = await createKey(ctx.app, owner, project.id, 'read');
      expect((await overview(read.secret)).statusCode).toBe(200);
    });
    afterAll(() => ctx.close());

    it('refuses an ingest key, saying which kind of key it is', async () => {
      const response = await overview(project.apiKey);
      expectProblem(response, 403, 'KEY_SCOPE_FORBIDDEN');
      expect(response.json().detail).toBe('This is an ingest key; reading needs a read key.');
    });

    it('refuses a public key, saying which kind of key it is', async () => {
      const response = await overview(publicKey);
      expectProblem(response, 403, 'KEY_SCOPE_FORBIDDEN');
      expect(response.json().detail).toBe('This is a public key; reading needs a read key.');
    });
  });
}
