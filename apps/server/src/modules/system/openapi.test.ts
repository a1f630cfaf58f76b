import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../../test/harness.js';

type Json = Record<string, unknown>;
interface Operation {
  parameters?: Array<{ in: string; name: string; required?: boolean }>;
  requestBody?: { required?: boolean; content: Record<string, { schema?: Json }> };
  responses: Record<string, { content?: Record<string, { schema?: Json }> }>;
}
interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
}

const P = '/api/projects/{projectId}';

/** Every management route, with its methods. */
const ROUTES: Record<string, string[]> = {
  '/api/auth/signup': ['post'],
  '/api/auth/login': ['post'],
  '/api/auth/logout': ['post'],
  '/api/auth/me': ['get', 'patch'],
  '/api/auth/password': ['post'],
  '/api/auth/forgot': ['post'],
  '/api/auth/reset': ['post'],
  '/api/projects': ['get', 'post'],
  [P]: ['get', 'patch', 'delete'],
  [`${P}/members`]: ['get', 'post'],
  [`${P}/members/{userId}`]: ['patch', 'delete'],
  [`${P}/keys`]: ['get', 'post'],
  [`${P}/keys/{keyId}`]: ['delete'],
  [`${P}/keys/{keyId}/rotate`]: ['post'],
  [`${P}/metrics`]: ['get', 'post'],
  [`${P}/metrics/{metric}`]: ['get', 'patch', 'delete'],
  [`${P}/metrics/{metric}/series`]: ['get'],
  [`${P}/metrics/{metric}/series.csv`]: ['get'],
  [`${P}/metrics/{metric}/breakdown`]: ['get'],
  [`${P}/metrics/{metric}/filters`]: ['get'],
  [`${P}/metrics/{metric}/events`]: ['get'],
  [`${P}/overview`]: ['get'],
  [`${P}/live`]: ['get'],
  '/api/units': ['get'],
  '/healthz': ['get'],
  '/readyz': ['get'],
};

/** Operations that take a JSON body, with the fields it requires. */
const BODIES: Array<[path: string, method: string, required: string[]]> = [
  ['/api/auth/signup', 'post', ['email', 'password']],
  ['/api/auth/login', 'post', ['email', 'password']],
  ['/api/auth/me', 'patch', ['name']],
  ['/api/auth/password', 'post', ['currentPassword', 'newPassword']],
  ['/api/auth/forgot', 'post', ['email']],
  ['/api/auth/reset', 'post', ['token', 'password']],
  ['/api/projects', 'post', ['name']],
  [P, 'patch', ['name']],
  [`${P}/members`, 'post', ['email', 'role']],
  [`${P}/members/{userId}`, 'patch', ['role']],
  [`${P}/keys`, 'post', ['name', 'scope']],
  [`${P}/metrics`, 'post', ['name', 'type']],
  [`${P}/metrics/{metric}`, 'patch', []],
];

/** Operations that can only fail on the server's side, if at all. */
const NO_CLIENT_ERRORS = new Set(['get /healthz', 'get /api/units']);

const PROBLEM_FIELDS = ['code', 'detail', 'requestId', 'status', 'title', 'type'];

for (const dialect of DIALECTS) {
  describe(`OpenAPI document [${dialect}]`, () => {
    let ctx: TestContext;
    let doc: OpenApiDocument;
    beforeAll(async () => {
      ctx = await createTestApp(dialect);
      const response = await call(ctx.app, 'GET', '/api/openapi.json');
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('application/json');
      doc = response.json();
    });
    afterAll(() => ctx.close());

    const operations = (): Array<[key: string, path: string, operation: Operation]> =>
      Object.entries(doc.paths).flatMap(([path, methods]) =>
        Object.entries(methods).map(
          ([method, operation]) => [`${method} ${path}`, path, operation] as const,
        ),
      ) as Array<[string, string, Operation]>;

    /** Follows a local `#/components/schemas/...` reference. */
    const resolve = (schema: Json | undefined): Json | undefined => {
      const ref = schema?.$ref;
      if (typeof ref !== 'string') return schema;
      const match = /^#\/components\/schemas\/(.+)$/.exec(ref);
      return match?.[1] === undefined ? undefined : doc.components.schemas[match[1]];
    };

    it('is a valid OpenAPI 3.1 document', async () => {
      expect(doc.openapi).toMatch(/^3\.1\./);
      expect(doc.info.title).toBe('Measurely API');
      const validator = new Validator();
      const result = await validator.validate(structuredClone(doc) as unknown as Json);
      expect(result.errors).toBeUndefined();
      expect(result.valid).toBe(true);
      expect(validator.version).toBe('3.1');

      // The validator does reject a broken copy, so the check above means something.
      const broken = structuredClone(doc) as unknown as Json;
      delete broken.info;
      expect((await new Validator().validate(broken)).valid).toBe(false);
    });

    it('documents every management route with exactly its methods', () => {
      for (const [path, methods] of Object.entries(ROUTES)) {
        expect(doc.paths[path], path).toBeDefined();
        expect(Object.keys(doc.paths[path] ?? {}).sort(), path).toEqual([...methods].sort());
      }
    });

    it('uses {braces} for path parameters and declares each as required', () => {
      for (const [key, path, operation] of operations()) {
        expect(path, key).not.toContain(':');
        const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        const declared = (operation.parameters ?? []).filter((p) => p.in === 'path');
        expect(declared.map((p) => p.name).sort(), key).toEqual(names.sort());
        for (const parameter of declared) expect(parameter.required, key).toBe(true);
      }
    });

    it('gives a JSON schema to every request body', () => {
      for (const [path, method, required] of BODIES) {
        const key = `${method} ${path}`;
        const body = doc.paths[path]?.[method]?.requestBody;
        expect(body, key).toBeDefined();
        const schema = resolve(body?.content['application/json']?.schema);
        expect(schema, key).toMatchObject({ type: 'object', additionalProperties: false });
        expect(Object.keys((schema?.properties as Json) ?? {}).length, key).toBeGreaterThan(0);
        expect(((schema?.required as string[] | undefined) ?? []).sort(), key).toEqual(
          [...required].sort(),
        );
      }
    });

    it('describes the metric body with its name rules and types', () => {
      const schema = resolve(
        doc.paths[`${P}/metrics`]?.post?.requestBody?.content['application/json']?.schema,
      ) as { properties: Record<string, Json> };
      expect(schema.properties.name).toMatchObject({
        type: 'string',
        minLength: 1,
        maxLength: 50,
      });
      expect(JSON.stringify(schema.properties.type)).toContain('"average"');
      expect(schema.properties).toHaveProperty('unit');
      expect(schema.properties).toHaveProperty('positiveName');
    });

    it('has error responses that reference the Problem schema', () => {
      for (const [key, , operation] of operations()) {
        if (NO_CLIENT_ERRORS.has(key)) continue;
        for (const range of ['4XX', '5XX']) {
          const response = operation.responses[range];
          expect(response, `${key} ${range}`).toBeDefined();
          const content = Object.values(response?.content ?? {});
          expect(content.length, `${key} ${range}`).toBeGreaterThan(0);
          for (const media of content) {
            expect(media.schema?.$ref, `${key} ${range}`).toMatch(/^#\/components\/schemas\//);
            const problem = resolve(media.schema);
            expect(problem?.title, `${key} ${range}`).toBe('Problem');
          }
        }
      }
    });

    it('describes the problem document the server actually sends', async () => {
      const problemSchema = Object.values(doc.components.schemas).find(
        (s) => s.title === 'Problem',
      ) as { required: string[]; properties: Record<string, Json> };
      expect(problemSchema.required.sort()).toEqual(PROBLEM_FIELDS);

      const sent = (await call(ctx.app, 'GET', '/api/auth/me')).json();
      expect(sent.code).toBe('UNAUTHENTICATED');
      for (const field of Object.keys(sent)) {
        expect(problemSchema.properties, field).toHaveProperty(field);
      }
      const validation = await call(ctx.app, 'POST', '/api/auth/signup', { body: {} });
      expect(validation.json().errors.length).toBeGreaterThan(0);
      expect(problemSchema.properties.errors).toMatchObject({ type: 'array' });
    });

    it('documents the session cookie as the security scheme', () => {
      expect(doc.components.securitySchemes.session).toEqual({
        type: 'apiKey',
        in: 'cookie',
        name: 'mly_session',
      });
    });

    it('documents a success response for every operation', () => {
      for (const [key, , operation] of operations()) {
        const success = Object.keys(operation.responses).filter((code) => /^2\d\d$/.test(code));
        expect(success, key).toHaveLength(1);
      }
      const created = doc.paths[`${P}/metrics`]?.post?.responses['201']?.content?.[
        'application/json'
      ]?.schema as { properties: { metric: { required: string[] } } };
      expect(created.properties.metric.required).toEqual(
        expect.arrayContaining(['id', 'name', 'type', 'unit', 'total', 'totalExact']),
      );
    });
  });
}
