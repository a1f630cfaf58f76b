import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signUp, uniqueEmail } from '../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../test/harness.js';

const MIB = 1024 * 1024;

/** Asserts an RFC 9457 problem document with the code, whose requestId matches the header. */
function expectProblem(response: LightMyRequestResponse, status: number, code: string) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = response.json();
  expect(problem).toMatchObject({
    type: expect.stringMatching(/^urn:measurely:error:/),
    title: expect.any(String),
    status,
    detail: expect.any(String),
    code,
    requestId: expect.any(String),
  });
  expect(problem.title).not.toBe('');
  expect(problem.detail).not.toBe('');
  const header = response.headers['x-request-id'];
  expect(header).toBeTruthy();
  expect(problem.requestId).toBe(header);
  return problem;
}

/** A signup body padded with an ignored-looking field to reach `size` bytes of JSON. */
function paddedBody(size: number): string {
  const base = JSON.stringify({ email: uniqueEmail(), password: 'long enough pw', pad: '' });
  return base.replace('"pad":""', `"pad":"${'x'.repeat(size - base.length)}"`);
}

async function expectAlive(ctx: TestContext): Promise<void> {
  const health = await call(ctx.app, 'GET', '/healthz');
  expect(health.statusCode).toBe(200);
  expect(health.json()).toEqual({ status: 'ok' });
}

for (const dialect of DIALECTS) {
  describe(`HTTP errors [${dialect}]`, () => {
    let ctx: TestContext;
    beforeAll(async () => {
      ctx = await createTestApp(dialect);
    });
    afterAll(() => ctx.close());

    it('answers 400 INVALID_JSON to a malformed JSON body', async () => {
      for (const payload of ['{"email": ', '{email: "a@b.c"}', 'not json', '[1,2,']) {
        const response = await ctx.app.inject({
          method: 'POST',
          url: '/api/auth/signup',
          headers: { 'content-type': 'application/json' },
          payload,
        });
        const problem = expectProblem(response, 400, 'INVALID_JSON');
        expect(problem.type).toBe('urn:measurely:error:invalid-json');
      }
      await expectAlive(ctx);
    });

    it('answers 413 PAYLOAD_TOO_LARGE to a body over the default 1 MiB limit', async () => {
      expect(ctx.config.bodyLimitBytes).toBe(MIB);
      const response = await ctx.app.inject({
        method: 'POST',
        url: '/api/auth/signup',
        headers: { 'content-type': 'application/json' },
        payload: paddedBody(MIB + 100),
      });
      expectProblem(response, 413, 'PAYLOAD_TOO_LARGE');
      await expectAlive(ctx);
    });

    it('reads a body just under the limit (and then validates it)', async () => {
      const response = await ctx.app.inject({
        method: 'POST',
        url: '/api/auth/signup',
        headers: { 'content-type': 'application/json' },
        payload: paddedBody(MIB - 100),
      });
      // Parsed, then refused for its unknown field: not a size problem.
      const problem = expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(problem.errors).toBeInstanceOf(Array);
    });

    it('answers 415 UNSUPPORTED_MEDIA_TYPE to a body that is not JSON', async () => {
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'text/csv']) {
        const response = await ctx.app.inject({
          method: 'POST',
          url: '/api/auth/signup',
          headers: { 'content-type': contentType },
          payload: JSON.stringify({ email: uniqueEmail(), password: 'long enough pw' }),
        });
        expectProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
      }
      await expectAlive(ctx);
    });

    it('accepts JSON with a charset parameter', async () => {
      const response = await ctx.app.inject({
        method: 'POST',
        url: '/api/auth/signup',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        payload: JSON.stringify({ email: uniqueEmail(), password: 'long enough pw' }),
      });
      expect(response.statusCode).toBe(201);
    });

    it('answers 404 ROUTE_NOT_FOUND to an unknown route', async () => {
      for (const url of ['/nope', '/api/nothing-here', '/api/projects/x/y/z', '/?q=1']) {
        const response = await call(ctx.app, 'GET', url);
        const problem = expectProblem(response, 404, 'ROUTE_NOT_FOUND');
        expect(problem.type).toBe('urn:measurely:error:route-not-found');
      }
      const post = await call(ctx.app, 'POST', '/api/nothing-here', { body: { a: 1 } });
      expectProblem(post, 404, 'ROUTE_NOT_FOUND');
    });

    it('answers 405 METHOD_NOT_ALLOWED with Allow to a wrong method on a known path', async () => {
      const cases: Array<
        [method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH', url: string, allow: string[]]
      > = [
        ['PUT', '/api/projects', ['GET', 'POST']],
        ['POST', '/healthz', ['GET']],
        ['DELETE', '/api/auth/me', ['GET', 'PATCH']],
        ['PUT', '/api/projects/some-id', ['GET', 'PATCH', 'DELETE']],
        ['PUT', '/api/projects/some-id/keys/some-key', ['PATCH', 'DELETE']],
        ['GET', '/api/auth/login', ['POST']],
        ['DELETE', '/readyz?verbose=1', ['GET']],
        ['GET', '/event/v1/orders', ['POST', 'OPTIONS']],
        ['PUT', '/event/v1/batch', ['POST', 'OPTIONS']],
      ];
      for (const [method, url, allow] of cases) {
        const response = await call(ctx.app, method, url);
        expectProblem(response, 405, 'METHOD_NOT_ALLOWED');
        const header = String(response.headers.allow);
        expect(header.split(/,\s*/).sort(), `${method} ${url}`).toEqual([...allow].sort());
      }
      await expectAlive(ctx);
    });

    it('answers 400 VALIDATION_FAILED to unknown top-level fields, naming them', async () => {
      const response = await call(ctx.app, 'POST', '/api/auth/signup', {
        body: { email: uniqueEmail(), password: 'long enough pw', isAdmin: true },
      });
      const problem = expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(problem.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ pointer: expect.any(String) })]),
      );
      const session = await signUp(ctx.app);
      const project = await call(ctx.app, 'POST', '/api/projects', {
        session,
        body: { name: 'p', owner: 'someone-else' },
      });
      expectProblem(project, 400, 'VALIDATION_FAILED');
    });

    it('answers 400 VALIDATION_FAILED to a body that is not an object, or missing', async () => {
      for (const payload of ['[]', '"text"', '42', 'null', '']) {
        const response = await ctx.app.inject({
          method: 'POST',
          url: '/api/auth/signup',
          headers: { 'content-type': 'application/json' },
          payload,
        });
        expectProblem(response, 400, 'VALIDATION_FAILED');
      }
    });

    it('puts an x-request-id on every response, success or error', async () => {
      const responses = [
        await call(ctx.app, 'GET', '/healthz'),
        await call(ctx.app, 'GET', '/readyz'),
        await call(ctx.app, 'GET', '/api/units'),
        await call(ctx.app, 'GET', '/api/openapi.json'),
        await call(ctx.app, 'GET', '/api/auth/me'),
        await call(ctx.app, 'GET', '/missing'),
        await call(ctx.app, 'POST', '/healthz'),
      ];
      const ids = responses.map((r) => r.headers['x-request-id']);
      for (const id of ids) expect(id).toMatch(/^[\w.:-]{1,128}$/);
      // Each request gets its own id.
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('renders every error as a problem document with the request id of its header', async () => {
      const me = await call(ctx.app, 'GET', '/api/auth/me');
      expectProblem(me, 401, 'UNAUTHENTICATED');
      const login = await call(ctx.app, 'POST', '/api/auth/login', {
        body: { email: uniqueEmail(), password: 'whatever it is' },
      });
      expectProblem(login, 401, 'INVALID_CREDENTIALS');
    });

    it('echoes a well-formed incoming X-Request-Id', async () => {
      const ok = await call(ctx.app, 'GET', '/healthz', { headers: { 'x-request-id': 'abc-123' } });
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['x-request-id']).toBe('abc-123');

      const error = await call(ctx.app, 'GET', '/missing', {
        headers: { 'x-request-id': 'trace.42:span_7' },
      });
      expect(error.headers['x-request-id']).toBe('trace.42:span_7');
      expect(error.json().requestId).toBe('trace.42:span_7');
    });

    it('replaces a hostile incoming X-Request-Id with its own', async () => {
      for (const hostile of ['has spaces in it', 'x'.repeat(300), 'a"}<script>', 'line\tbreak']) {
        const response = await call(ctx.app, 'GET', '/missing', {
          headers: { 'x-request-id': hostile },
        });
        const id = response.headers['x-request-id'];
        expect(id).not.toBe(hostile);
        expect(id).toMatch(/^[\w.:-]{1,128}$/);
        expect(response.json().requestId).toBe(id);
        expect(response.body).not.toContain(hostile);
      }
    });

    it('answers GET /healthz with 200 ok', async () => {
      const response = await call(ctx.app, 'GET', '/healthz');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'ok' });
    });

    it('answers GET /readyz with 200 and the database dialect', async () => {
      const response = await call(ctx.app, 'GET', '/readyz');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'ready', database: dialect });
    });

    it('keeps answering after all of the above', async () => {
      await expectAlive(ctx);
      const session = await signUp(ctx.app);
      const me = await call(ctx.app, 'GET', '/api/auth/me', { session });
      expect(me.statusCode).toBe(200);
    });
  });

  describe(`body limit from MEASURELY_BODY_LIMIT [${dialect}]`, () => {
    let ctx: TestContext;
    beforeAll(async () => {
      ctx = await createTestApp(dialect, { env: { MEASURELY_BODY_LIMIT: '2048' } });
    });
    afterAll(() => ctx.close());

    it('refuses a body over the configured limit and reads one under it', async () => {
      const over = await ctx.app.inject({
        method: 'POST',
        url: '/api/auth/signup',
        headers: { 'content-type': 'application/json' },
        payload: paddedBody(2048 + 1),
      });
      expectProblem(over, 413, 'PAYLOAD_TOO_LARGE');

      const under = await ctx.app.inject({
        method: 'POST',
        url: '/api/auth/signup',
        headers: { 'content-type': 'application/json' },
        payload: paddedBody(2000),
      });
      expectProblem(under, 400, 'VALIDATION_FAILED');
      await expectAlive(ctx);
    });
  });

  describe(`database gone [${dialect}]`, () => {
    let ctx: TestContext;
    const logs: string[] = [];
    beforeAll(async () => {
      const { Writable } = await import('node:stream');
      const logStream = new Writable({
        write(chunk, _encoding, done) {
          logs.push(String(chunk));
          done();
        },
      });
      ctx = await createTestApp(dialect, { env: { LOG_LEVEL: 'error' }, logStream });
      await ctx.storage.close();
    });
    afterAll(() => ctx.close());

    it('answers /readyz with 503 NOT_READY but /healthz still with 200', async () => {
      const ready = await call(ctx.app, 'GET', '/readyz');
      expectProblem(ready, 503, 'NOT_READY');
      await expectAlive(ctx);
    });

    it('answers a database route with an opaque 500 INTERNAL and logs the cause', async () => {
      logs.length = 0;
      const response = await call(ctx.app, 'POST', '/api/auth/signup', {
        body: { email: uniqueEmail(), password: 'long enough pw' },
      });
      const problem = expectProblem(response, 500, 'INTERNAL');
      expect(problem.detail).toBe('Something went wrong on our side.');
      expect(Object.keys(problem).sort()).toEqual(
        ['code', 'detail', 'requestId', 'status', 'title', 'type'].sort(),
      );
      for (const leak of [
        'destroyed',
        'stack',
        ' at ',
        'select ',
        'insert ',
        'sqlite',
        'postgres',
        'kysely',
        'node_modules',
        '.ts:',
        '.js:',
      ]) {
        expect(response.body.toLowerCase()).not.toContain(leak.toLowerCase());
      }
      // The operator still learns what happened, under the same request id.
      const logged = logs
        .map((line) => JSON.parse(line))
        .find((entry) => entry.requestId === problem.requestId && entry.err !== undefined);
      expect(logged?.err.message).toEqual(expect.any(String));
      expect(logged?.err.stack).toEqual(expect.any(String));
      expect(response.body).not.toContain(logged.err.message);
    });

    it('keeps answering after internal errors', async () => {
      for (let i = 0; i < 3; i++) {
        const me = await call(ctx.app, 'GET', '/api/auth/me', {
          headers: { cookie: 'mly_session=whatever' },
        });
        expectProblem(me, 500, 'INTERNAL');
      }
      await expectAlive(ctx);
      expectProblem(await call(ctx.app, 'GET', '/nope'), 404, 'ROUTE_NOT_FOUND');
    });
  });
}
