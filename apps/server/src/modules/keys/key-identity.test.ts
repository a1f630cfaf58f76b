import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../../test/assertions.js';
import {
  call,
  createKey,
  createProject,
  type Session,
  signUp,
  type TestProject,
} from '../../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../../test/harness.js';

const identify = (ctx: TestContext, authorization?: string) =>
  call(ctx.app, 'GET', '/api/key', {
    headers: authorization === undefined ? {} : { authorization },
  });

for (const dialect of DIALECTS) {
  describe(`GET /api/key [${dialect}]`, () => {
    let ctx: TestContext;
    let owner: Session;
    let project: TestProject;

    beforeAll(async () => {
      ctx = await createTestApp(dialect);
      owner = await signUp(ctx.app);
      project = await createProject(ctx.app, owner, 'Identity');
    });
    afterAll(() => ctx.close());

    it('describes a read key: id, project, scope, name and prefix, never the secret', async () => {
      const key = await createKey(ctx.app, owner, project.id, 'read');
      const response = await identify(ctx, `Bearer ${key.secret}`);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.json()).toEqual({
        keyId: key.id,
        projectId: project.id,
        scope: 'read',
        name: 'read key',
        prefix: key.secret.slice(0, 10),
      });
      expect(response.body).not.toContain(key.secret);
    });

    it('describes an ingest key', async () => {
      const response = await identify(ctx, `bearer ${project.apiKey}`);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({
        keyId: project.apiKeyId,
        projectId: project.id,
        scope: 'ingest',
      });
    });

    it('tells keys of different projects apart', async () => {
      const other = await createProject(ctx.app, owner, 'Other');
      const response = await identify(ctx, `Bearer ${other.apiKey}`);
      expect(response.json()).toMatchObject({ keyId: other.apiKeyId, projectId: other.id });
    });

    it('refuses a missing, malformed or unknown key with 401 API_KEY_INVALID', async () => {
      expectProblem(await identify(ctx), 401, 'API_KEY_INVALID');
      expectProblem(await identify(ctx, 'Basic abc'), 401, 'API_KEY_INVALID');
      expectProblem(await identify(ctx, 'Bearer not-a-key'), 401, 'API_KEY_INVALID');
      expectProblem(await identify(ctx, `Bearer mly_${'A'.repeat(32)}`), 401, 'API_KEY_INVALID');
    });

    it('refuses a revoked key and a rotated-away secret', async () => {
      const revoked = await createKey(ctx.app, owner, project.id, 'read');
      expect((await identify(ctx, `Bearer ${revoked.secret}`)).statusCode).toBe(200);
      const revoke = await call(
        ctx.app,
        'DELETE',
        `/api/projects/${project.id}/keys/${revoked.id}`,
        { session: owner },
      );
      expect(revoke.statusCode).toBe(200);
      expectProblem(await identify(ctx, `Bearer ${revoked.secret}`), 401, 'API_KEY_INVALID');

      const rotated = await createKey(ctx.app, owner, project.id, 'ingest');
      const rotate = await call(
        ctx.app,
        'POST',
        `/api/projects/${project.id}/keys/${rotated.id}/rotate`,
        { session: owner },
      );
      expect(rotate.statusCode).toBe(200);
      expectProblem(await identify(ctx, `Bearer ${rotated.secret}`), 401, 'API_KEY_INVALID');
      const fresh = await identify(ctx, `Bearer ${rotate.json().key.secret}`);
      expect(fresh.json()).toMatchObject({ keyId: rotated.id, scope: 'ingest' });
    });

    it('refuses a public (publishable) key with 403 KEY_SCOPE_FORBIDDEN', async () => {
      const created = await call(ctx.app, 'POST', `/api/projects/${project.id}/keys`, {
        session: owner,
        body: { name: 'site', scope: 'public', origins: ['https://example.com'] },
      });
      expect(created.statusCode, created.body).toBe(201);
      const response = await identify(ctx, `Bearer ${created.json().key.secret}`);
      expectProblem(response, 403, 'KEY_SCOPE_FORBIDDEN');
      expect(response.body).not.toContain(project.id);
    });

    it('does not take a session cookie in place of a key', async () => {
      const response = await call(ctx.app, 'GET', '/api/key', { session: owner });
      expectProblem(response, 401, 'API_KEY_INVALID');
    });

    it('is in the OpenAPI document, with its response schema', async () => {
      const doc = (await call(ctx.app, 'GET', '/api/openapi.json')).json();
      const operation = doc.paths['/api/key']?.get;
      expect(operation?.tags).toEqual(['API keys']);
      expect(operation?.summary).toMatch(/API key/);
      expect(operation?.security).toEqual([{ ingestKey: [] }, { readKey: [] }]);
      const schema = operation?.responses?.['200']?.content?.['application/json']?.schema;
      expect(Object.keys(schema?.properties ?? {}).sort()).toEqual(
        ['keyId', 'name', 'prefix', 'projectId', 'scope'].sort(),
      );
      expect(operation?.['x-error-codes']).toEqual({
        401: ['API_KEY_INVALID'],
        403: ['KEY_SCOPE_FORBIDDEN'],
        500: ['INTERNAL'],
      });
    });
  });
}
