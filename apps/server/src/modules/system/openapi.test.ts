import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../errors.js';
import {
  addMember,
  call,
  createKey,
  createMetric,
  createProject,
  type Session,
  signUp,
  type TestProject,
  uniqueEmail,
} from '../../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../../test/harness.js';
import {
  createPublicKey,
  freshIp,
  SITE,
  track,
  trackerFixture,
} from '../tracker/tracker.fixtures.js';

type Json = Record<string, unknown>;
interface Media {
  schema?: Json;
  example?: unknown;
  examples?: Record<string, { summary?: string; value: unknown }>;
}
interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ in: string; name: string; required?: boolean; description?: string }>;
  requestBody?: { required?: boolean; content: Record<string, Media> };
  responses: Record<
    string,
    { description: string; headers?: Record<string, Json>; content?: Record<string, Media> }
  >;
  'x-error-codes'?: Record<string, string[]>;
}
interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  servers?: Array<{ url: string }>;
  tags?: Array<{ name: string; description?: string }>;
  security?: Array<Record<string, string[]>>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
}

const P = '/api/projects/{projectId}';
const M = `${P}/metrics/{metric}`;

/** Every route of the API, with its methods. */
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
  [`${P}/invitations`]: ['get', 'post'],
  [`${P}/invitations/{invitationId}`]: ['delete'],
  '/api/invitations/lookup': ['post'],
  '/api/invitations/accept': ['post'],
  [`${P}/keys`]: ['get', 'post'],
  [`${P}/keys/{keyId}`]: ['patch', 'delete'],
  [`${P}/keys/{keyId}/rotate`]: ['post'],
  '/api/key': ['get'],
  [`${P}/metrics`]: ['get', 'post'],
  [M]: ['get', 'patch', 'delete'],
  [`${M}/series`]: ['get'],
  [`${M}/series.csv`]: ['get'],
  [`${M}/breakdown`]: ['get'],
  [`${M}/filters`]: ['get'],
  [`${M}/events`]: ['get'],
  [`${P}/overview`]: ['get'],
  [`${P}/live`]: ['get'],
  '/api/units': ['get'],
  '/event/v1/{metric}': ['post'],
  '/event/v1/batch': ['post'],
  '/track.js': ['get'],
  '/track': ['post'],
  '/healthz': ['get'],
  '/readyz': ['get'],
};

/** Operations that take a JSON body, with the fields it requires (not checked: undefined). */
const BODIES: Array<[path: string, method: string, required: string[] | undefined]> = [
  ['/api/auth/signup', 'post', ['email', 'password']],
  ['/api/auth/login', 'post', ['email', 'password']],
  ['/api/auth/me', 'patch', ['name']],
  ['/api/auth/password', 'post', ['currentPassword', 'newPassword']],
  ['/api/auth/forgot', 'post', ['email']],
  ['/api/auth/reset', 'post', ['token', 'password']],
  ['/api/projects', 'post', ['name']],
  [P, 'patch', []],
  [`${P}/members`, 'post', ['email', 'role']],
  [`${P}/members/{userId}`, 'patch', ['role']],
  [`${P}/invitations`, 'post', ['email', 'role']],
  ['/api/invitations/lookup', 'post', ['token']],
  ['/api/invitations/accept', 'post', ['token']],
  [`${P}/keys`, 'post', ['name', 'scope']],
  [`${P}/keys/{keyId}`, 'patch', []],
  [`${P}/metrics`, 'post', ['name', 'type']],
  [M, 'patch', []],
  ['/event/v1/{metric}', 'post', ['value']],
  ['/event/v1/batch', 'post', ['events']],
  ['/track', 'post', ['key', 'path']],
];

/** Operations that answer more than one success status; every other one answers one. */
const SUCCESSES: Record<string, string[]> = {
  'post /track': ['202', '204'],
  // Joined as the account signed in, or with the account the invitation created.
  'post /api/invitations/accept': ['200', '201'],
};

/** The security each family of routes really accepts. */
const SECURITY: Array<[operations: RegExp, security: Array<Record<string, string[]>> | null]> = [
  [/^post \/event\/v1\//, [{ ingestKey: [] }]],
  [
    /^get \/api\/projects\/\{projectId\}\/(overview|live|metrics(\/\{metric\}(\/.+)?)?)$/,
    [{ session: [] }, { readKey: [] }],
  ],
  [/^post \/api\/auth\/(signup|login|forgot|reset)$/, []],
  [/^post \/api\/invitations\/lookup$/, []],
  [/^post \/api\/invitations\/accept$/, [{ session: [] }, {}]],
  [/^get \/(healthz|readyz|api\/units)$/, []],
  // The tracker's key is in the body, and any site may load the script.
  [/^(get \/track\.js|post \/track)$/, []],
  // What a key is: the key itself, never a session.
  [/^get \/api\/key$/, [{ ingestKey: [] }, { readKey: [] }]],
  // Everything else under /api/ takes the session cookie: the document's default.
  [/^(get|patch) \/api\/auth\/me$/, null],
  [/^(post|patch|delete) \/api\/projects\/\{projectId\}\/metrics(\/\{metric\})?$/, null],
  [
    /^\w+ \/api\/projects(\/\{projectId\}(\/(members|keys)(\/\{(userId|keyId)\}(\/rotate)?)?)?)?$/,
    null,
  ],
];

const PROBLEM_FIELDS = ['code', 'detail', 'requestId', 'status', 'title', 'type'];

/** Codes a single event is refused with; a batch reports them per event. */
const EVENT_CODES = [
  'METRIC_UNKNOWN',
  'VALIDATION_FAILED',
  'VALUE_INVALID',
  'VALUE_NOT_POSITIVE',
  'VALUE_ZERO',
  'VALUE_TOO_PRECISE',
  'VALUE_OUT_OF_RANGE',
  'FILTERS_INVALID',
  'FILTERS_LIMIT',
  'TIMESTAMP_INVALID',
  'TIMESTAMP_OUT_OF_RANGE',
  'QUOTA_EXCEEDED',
];

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

    const errorStatuses = (operation: Operation): string[] =>
      Object.keys(operation.responses).filter((status) => /^[45]/.test(status));

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

    it('points "Try it out" at the server that serves it', () => {
      expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
    });

    it('documents every route with exactly its methods', () => {
      for (const [path, methods] of Object.entries(ROUTES)) {
        expect(doc.paths[path], path).toBeDefined();
        expect(Object.keys(doc.paths[path] ?? {}).sort(), path).toEqual([...methods].sort());
      }
      expect(Object.keys(doc.paths).sort()).toEqual(Object.keys(ROUTES).sort());
    });

    it('documents /v1/{metric} as an alias of /event/v1/{metric} without listing it twice', () => {
      expect(doc.paths['/v1/{metric}']).toBeUndefined();
      expect(doc.paths['/event/v1/{metric}']?.post?.description).toContain('POST /v1/{metric}');
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

    it('gives every operation a summary, a description and declared tags', () => {
      const declared = new Set((doc.tags ?? []).map((tag) => tag.name));
      for (const tag of doc.tags ?? []) expect(tag.description, tag.name).toBeTruthy();
      for (const [key, , operation] of operations()) {
        expect(operation.summary, key).toBeTruthy();
        expect(operation.description?.length, key).toBeGreaterThan(20);
        expect(operation.tags?.length, key).toBeGreaterThan(0);
        for (const tag of operation.tags ?? []) expect(declared, `${key}: ${tag}`).toContain(tag);
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
        if (required === undefined) continue;
        expect(((schema?.required as string[] | undefined) ?? []).sort(), key).toEqual(
          [...required].sort(),
        );
      }
    });

    it('gives an example to every request body', () => {
      for (const [key, , operation] of operations()) {
        if (operation.requestBody === undefined) continue;
        for (const [type, media] of Object.entries(operation.requestBody.content)) {
          const count =
            (media.example === undefined ? 0 : 1) + Object.keys(media.examples ?? {}).length;
          expect(count, `${key} ${type}`).toBeGreaterThan(0);
        }
      }
    });

    it('has examples that match their schemas', () => {
      const ajv = new Ajv2020({ strict: false, allErrors: true });
      addFormats.default(ajv);
      let checked = 0;
      const check = (where: string, media: Media): void => {
        if (media.schema === undefined) return;
        const samples = [
          ...(media.example === undefined ? [] : [media.example]),
          ...Object.values(media.examples ?? {}).map((example) => example.value),
        ];
        if (samples.length === 0) return;
        // The components travel with the schema, so its `#/components/...` references resolve.
        const validate = ajv.compile({ ...media.schema, components: doc.components });
        for (const sample of samples) {
          expect(validate(sample), `${where}: ${ajv.errorsText(validate.errors)}`).toBe(true);
          checked += 1;
        }
      };
      for (const [key, , operation] of operations()) {
        for (const [type, media] of Object.entries(operation.requestBody?.content ?? {})) {
          if (type === 'application/json') check(`${key} request`, media);
        }
        for (const [status, response] of Object.entries(operation.responses)) {
          for (const [type, media] of Object.entries(response.content ?? {})) {
            if (type.endsWith('json')) check(`${key} ${status}`, media);
          }
        }
      }
      expect(checked).toBeGreaterThan(200);
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

    it('gives every operation error responses that reference the Problem schema', () => {
      for (const [key, , operation] of operations()) {
        const statuses = errorStatuses(operation);
        expect(statuses.length, key).toBeGreaterThan(0);
        expect(
          statuses.some((status) => status.startsWith('5')),
          key,
        ).toBe(true);
        for (const status of statuses) {
          const content = Object.values(operation.responses[status]?.content ?? {});
          expect(content.length, `${key} ${status}`).toBeGreaterThan(0);
          for (const media of content) {
            expect(media.schema?.$ref, `${key} ${status}`).toMatch(/^#\/components\/schemas\//);
            expect(resolve(media.schema)?.title, `${key} ${status}`).toBe('Problem');
          }
        }
      }
    });

    it('lists the codes of each error status, as they are in errors.ts', () => {
      for (const [key, , operation] of operations()) {
        const codes = operation['x-error-codes'];
        expect(codes, `${key} has no x-error-codes`).toBeDefined();
        // Each documented status is one of the listed ones, and the other way round.
        expect(errorStatuses(operation).sort(), key).toEqual(Object.keys(codes ?? {}).sort());
        expect(codes?.['500'], key).toContain('INTERNAL');
        for (const [status, list] of Object.entries(codes ?? {})) {
          const response = operation.responses[status];
          const media = response?.content?.['application/problem+json'];
          expect(list.length, `${key} ${status}`).toBeGreaterThan(0);
          expect(Object.keys(media?.examples ?? {}).sort(), `${key} ${status}`).toEqual(
            [...list].sort(),
          );
          for (const code of list) {
            expect(ERROR_CODES, `${key}: ${code}`).toHaveProperty(code);
            expect(ERROR_CODES[code as ErrorCode].status, `${key}: ${code}`).toBe(Number(status));
            expect(response?.description, `${key}: ${code}`).toContain(`\`${code}\``);
            expect(media?.examples?.[code]?.value, `${key}: ${code}`).toMatchObject({
              code,
              status: Number(status),
              title: ERROR_CODES[code as ErrorCode].title,
            });
          }
        }
      }
    });

    it('documents Retry-After on every 429 and 503 that can carry it', () => {
      for (const [key, , operation] of operations()) {
        const codes = operation['x-error-codes'] ?? {};
        for (const status of ['429', '503']) {
          const withRetry = (codes[status] ?? []).filter((c) => c !== 'NOT_READY');
          if (withRetry.length === 0) continue;
          expect(operation.responses[status]?.headers, `${key} ${status}`).toHaveProperty(
            'Retry-After',
          );
        }
      }
    });

    it('describes the problem document the server actually sends, with every code', async () => {
      const problemSchema = Object.values(doc.components.schemas).find(
        (s) => s.title === 'Problem',
      ) as { required: string[]; properties: Record<string, Json> };
      expect(problemSchema.required.sort()).toEqual(PROBLEM_FIELDS);
      expect(
        [...((problemSchema.properties.code?.enum as string[] | undefined) ?? [])].sort(),
      ).toEqual(Object.keys(ERROR_CODES).sort());

      const sent = (await call(ctx.app, 'GET', '/api/auth/me')).json();
      expect(sent.code).toBe('UNAUTHENTICATED');
      for (const field of Object.keys(sent)) {
        expect(problemSchema.properties, field).toHaveProperty(field);
      }
      const validation = await call(ctx.app, 'POST', '/api/auth/signup', { body: {} });
      expect(validation.json().errors.length).toBeGreaterThan(0);
      expect(problemSchema.properties.errors).toMatchObject({ type: 'array' });
    });

    it('declares the session cookie and the two kinds of API key as security schemes', () => {
      const schemes = doc.components.securitySchemes;
      expect(schemes.session).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'mly_session' });
      expect(schemes.ingestKey).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(schemes.readKey).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(doc.security).toEqual([{ session: [] }]);
      for (const [key, , operation] of operations()) {
        for (const requirement of operation.security ?? []) {
          for (const name of Object.keys(requirement)) {
            expect(schemes, `${key}: ${name}`).toHaveProperty(name);
          }
        }
      }
    });

    it('names the security each family of routes really accepts', () => {
      for (const [pattern, security] of SECURITY) {
        const matching = operations().filter(([key]) => pattern.test(key));
        expect(matching.length, String(pattern)).toBeGreaterThan(0);
        for (const [key, , operation] of matching) {
          if (security === null) expect(operation.security, key).toBeUndefined();
          else expect(operation.security, key).toEqual(security);
        }
      }
    });

    it('documents Idempotency-Key, the rate-limit headers and per-event codes of ingestion', () => {
      for (const path of ['/event/v1/{metric}', '/event/v1/batch']) {
        const operation = doc.paths[path]?.post as Operation;
        const header = operation.parameters?.find(
          (p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key',
        );
        expect(header?.required, path).toBe(false);
        expect(header?.description, path).toContain('24 hours');
        expect(Object.keys(operation.responses['200']?.headers ?? {}).sort(), path).toEqual([
          'Idempotent-Replayed',
          'RateLimit',
          'RateLimit-Policy',
        ]);
        expect(Object.keys(operation.responses['429']?.headers ?? {}).sort(), path).toEqual([
          'RateLimit',
          'RateLimit-Policy',
          'Retry-After',
        ]);
        // Both bodies may come as text/plain, as navigator.sendBeacon sends them.
        expect(Object.keys(operation.requestBody?.content ?? {}).sort(), path).toEqual([
          'application/json',
          'text/plain',
        ]);
      }
      const single = doc.paths['/event/v1/{metric}']?.post as Operation;
      for (const code of EVENT_CODES) {
        const status = String(ERROR_CODES[code as ErrorCode].status);
        expect(single['x-error-codes']?.[status], code).toContain(code);
      }
      const batch = doc.paths['/event/v1/batch']?.post as Operation;
      const batchSchema = batch.responses['200']?.content?.['application/json']?.schema as
        | { properties: { results: { items: { properties: { code: { enum: string[] } } } } } }
        | undefined;
      const results = batchSchema?.properties.results.items.properties.code ?? { enum: [] };
      expect([...results.enum].sort()).toEqual([...EVENT_CODES].sort());
      expect(batch['x-error-codes']?.['400']).toContain('BATCH_INVALID');
    });

    it('documents the website tracker: a text/plain body, 202 and 204, a per-visitor limit', () => {
      const post = doc.paths['/track']?.post as Operation;
      expect(Object.keys(post.requestBody?.content ?? {}).sort()).toEqual([
        'application/json',
        'text/plain',
      ]);
      for (const status of ['202', '204']) {
        expect(post.responses[status]?.content, status).toBeUndefined();
        expect(Object.keys(post.responses[status]?.headers ?? {}).sort(), status).toEqual([
          'Access-Control-Allow-Origin',
          'RateLimit',
          'RateLimit-Policy',
        ]);
      }
      const limited = post.responses['429'];
      expect(Object.keys(limited?.headers ?? {}).sort()).toEqual([
        'RateLimit',
        'RateLimit-Policy',
        'Retry-After',
      ]);
      expect(JSON.stringify(limited?.headers?.RateLimit)).toContain('per-visitor');
      // Outside the management API: no session, so no cross-site check either.
      expect(post['x-error-codes']?.['403']?.sort()).toEqual([
        'KEY_SCOPE_FORBIDDEN',
        'ORIGIN_NOT_ALLOWED',
      ]);
      const headers = (post.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name);
      expect(headers.sort()).toEqual(['dnt', 'origin', 'sec-gpc']);

      const script = doc.paths['/track.js']?.get as Operation;
      expect(Object.keys(script.responses['200']?.content ?? {})).toEqual(['text/javascript']);
      expect(script.responses['200']?.headers).toHaveProperty('ETag');
      expect(script.responses['304']?.content).toBeUndefined();
      expect(script['x-error-codes']?.['503']).toEqual(['NOT_READY']);
    });

    it('documents the success responses of every operation, and describes every response', () => {
      for (const [key, , operation] of operations()) {
        const success = Object.keys(operation.responses).filter((code) => /^2\d\d$/.test(code));
        expect(success.sort(), key).toEqual(SUCCESSES[key] ?? [expect.any(String)]);
        for (const [status, response] of Object.entries(operation.responses)) {
          expect(response.description, `${key} ${status}`).not.toBe('Default Response');
        }
      }
      const created = doc.paths[`${P}/metrics`]?.post?.responses['201']?.content?.[
        'application/json'
      ]?.schema as { properties: { metric: { required: string[] } } };
      expect(created.properties.metric.required).toEqual(
        expect.arrayContaining(['id', 'name', 'type', 'unit', 'total', 'totalExact']),
      );
    });

    describe('lists every code its routes answer', () => {
      let owner: Session;
      let guest: Session;
      let project: TestProject;
      let readKey: string;
      const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

      beforeAll(async () => {
        owner = await signUp(ctx.app);
        guest = await signUp(ctx.app);
        project = await createProject(ctx.app, owner);
        await addMember(ctx.app, owner, project.id, guest, 'guest');
        await createMetric(ctx.app, owner, project.id, { name: 'signups', type: 'basic' });
        await createMetric(ctx.app, owner, project.id, { name: 'balance', type: 'dual' });
        readKey = (await createKey(ctx.app, owner, project.id, 'read')).secret;
      });

      /** The answer is a problem whose code the operation documents for its status. */
      function expectDocumented(
        operation: string,
        response: LightMyRequestResponse,
        code: ErrorCode,
      ): void {
        const [method = '', path = ''] = operation.split(' ');
        const documented = doc.paths[path]?.[method]?.['x-error-codes'];
        expect(documented, operation).toBeDefined();
        expect(response.statusCode, `${operation}: ${response.body}`).toBe(
          ERROR_CODES[code].status,
        );
        const { code: answered } = response.json() as { code: ErrorCode };
        expect(answered, operation).toBe(code);
        expect(documented?.[String(response.statusCode)], `${operation} ${code}`).toContain(code);
      }

      it('ingestion', async () => {
        const op = 'post /event/v1/{metric}';
        const send = (body: string, headers: Record<string, string> = {}) =>
          ctx.app.inject({
            method: 'POST',
            url: '/event/v1/signups',
            headers: { 'content-type': 'application/json', ...bearer(project.apiKey), ...headers },
            payload: body,
          });
        expectDocumented(op, await send('{"value":1}', { authorization: '' }), 'API_KEY_INVALID');
        expectDocumented(op, await send('{"value":1}', bearer(readKey)), 'KEY_SCOPE_FORBIDDEN');
        expectDocumented(op, await send('{"value":0}'), 'VALUE_NOT_POSITIVE');
        expectDocumented(op, await send('{"value":"1"}'), 'VALUE_INVALID');
        expectDocumented(op, await send('{"value":0.1234567}'), 'VALUE_TOO_PRECISE');
        expectDocumented(op, await send('{"value":1e12}'), 'VALUE_OUT_OF_RANGE');
        expectDocumented(op, await send('{"vaule":1}'), 'VALIDATION_FAILED');
        expectDocumented(op, await send('{"value":'), 'INVALID_JSON');
        expectDocumented(op, await send('{"value":1,"filters":[]}'), 'FILTERS_INVALID');
        expectDocumented(
          op,
          await send(
            JSON.stringify({
              value: 1,
              filters: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])),
            }),
          ),
          'FILTERS_LIMIT',
        );
        expectDocumented(
          op,
          await send('{"value":1,"timestamp":"yesterday"}'),
          'TIMESTAMP_INVALID',
        );
        expectDocumented(op, await send('{"value":1,"timestamp":0}'), 'TIMESTAMP_OUT_OF_RANGE');
        expectDocumented(
          op,
          await send('{"value":1}', { 'content-type': 'application/xml' }),
          'BAD_REQUEST',
        );
        expectDocumented(
          op,
          await send('{"value":1}', { 'idempotency-key': 'has space' }),
          'IDEMPOTENCY_KEY_INVALID',
        );
        const key = { 'idempotency-key': `probe-${Math.random()}` };
        expect((await send('{"value":1}', key)).statusCode).toBe(200);
        expectDocumented(op, await send('{"value":2}', key), 'IDEMPOTENCY_KEY_REUSED');
        expectDocumented(
          op,
          await send(JSON.stringify({ value: 1, pad: 'x'.repeat(ctx.config.bodyLimitBytes) })),
          'PAYLOAD_TOO_LARGE',
        );
        const unknown = await ctx.app.inject({
          method: 'POST',
          url: '/event/v1/nothing-here',
          headers: { 'content-type': 'application/json', ...bearer(project.apiKey) },
          payload: '{"value":1}',
        });
        expectDocumented(op, unknown, 'METRIC_UNKNOWN');
      });

      it('batches, whose per-event codes are among the documented ones', async () => {
        const op = 'post /event/v1/batch';
        const batch = (events: unknown) =>
          call(ctx.app, 'POST', '/event/v1/batch', {
            body: { events },
            headers: bearer(project.apiKey),
          });
        expectDocumented(op, await batch([]), 'BATCH_INVALID');
        const mixed = await batch([
          { metric: 'signups', value: 1 },
          { metric: 'balance', value: 0 },
          { metric: 'nothing-here', value: 1 },
          { metric: 'signups', value: -1 },
          { metric: 'signups', value: 1, colour: 'red' },
        ]);
        expect(mixed.statusCode).toBe(200);
        const schema = doc.paths['/event/v1/batch']?.post?.responses['200']?.content?.[
          'application/json'
        ]?.schema as {
          properties: { results: { items: { properties: { code: { enum: string[] } } } } };
        };
        const documented = schema.properties.results.items.properties.code.enum;
        const results = mixed.json().results as Array<{ ok: boolean; code?: string }>;
        expect(results.filter((r) => !r.ok)).toHaveLength(4);
        for (const result of results) {
          if (!result.ok) expect(documented).toContain(result.code);
        }
      });

      it('accounts', async () => {
        const email = uniqueEmail();
        const signup = (body: unknown, headers: Record<string, string> = {}) =>
          call(ctx.app, 'POST', '/api/auth/signup', { body, headers });
        expectDocumented('post /api/auth/signup', await signup({}), 'VALIDATION_FAILED');
        expect((await signup({ email, password: 'long enough pw' })).statusCode).toBe(201);
        expectDocumented(
          'post /api/auth/signup',
          await signup({ email, password: 'long enough pw' }),
          'EMAIL_TAKEN',
        );
        expectDocumented(
          'post /api/auth/signup',
          await ctx.app.inject({
            method: 'POST',
            url: '/api/auth/signup',
            headers: { 'content-type': 'text/plain' },
            payload: 'hello',
          }),
          'UNSUPPORTED_MEDIA_TYPE',
        );
        expectDocumented(
          'post /api/auth/login',
          await call(ctx.app, 'POST', '/api/auth/login', {
            body: { email, password: 'not the password' },
          }),
          'INVALID_CREDENTIALS',
        );
        expectDocumented(
          'post /api/auth/login',
          await call(ctx.app, 'POST', '/api/auth/login', {
            body: { email, password: 'long enough pw' },
            headers: { origin: 'https://elsewhere.example', 'sec-fetch-site': 'cross-site' },
          }),
          'CROSS_SITE_REQUEST',
        );
        expectDocumented(
          'get /api/auth/me',
          await call(ctx.app, 'GET', '/api/auth/me'),
          'UNAUTHENTICATED',
        );
        expectDocumented(
          'post /api/auth/password',
          await call(ctx.app, 'POST', '/api/auth/password', {
            session: owner,
            body: { currentPassword: 'wrong wrong', newPassword: 'a new long password' },
          }),
          'PASSWORD_INCORRECT',
        );
        expectDocumented(
          'post /api/auth/reset',
          await call(ctx.app, 'POST', '/api/auth/reset', {
            body: { token: 'not-a-token', password: 'a new long password' },
          }),
          'RESET_TOKEN_INVALID',
        );
        expectDocumented(
          'patch /api/auth/me',
          await ctx.app.inject({
            method: 'PATCH',
            url: '/api/auth/me',
            headers: { cookie: owner.cookie, 'content-type': 'application/json' },
            payload: '{"name":',
          }),
          'INVALID_JSON',
        );
      });

      it('metrics', async () => {
        const metrics = `/api/projects/${project.id}/metrics`;
        expectDocumented(
          `post ${P}/metrics`,
          await call(ctx.app, 'POST', metrics, {
            session: owner,
            body: { name: 'SIGNUPS', type: 'basic' },
          }),
          'METRIC_NAME_TAKEN',
        );
        expectDocumented(
          `post ${P}/metrics`,
          await call(ctx.app, 'POST', metrics, {
            session: guest,
            body: { name: 'other', type: 'basic' },
          }),
          'FORBIDDEN',
        );
        expectDocumented(
          `get ${M}`,
          await call(ctx.app, 'GET', `${metrics}/nothing-here`, { session: owner }),
          'METRIC_NOT_FOUND',
        );
        expectDocumented(
          `get ${P}/metrics`,
          await call(ctx.app, 'GET', '/api/projects/nothing-here/metrics', { session: owner }),
          'PROJECT_NOT_FOUND',
        );
        expectDocumented(
          `delete ${M}`,
          await call(ctx.app, 'DELETE', `${metrics}/signups`, { session: guest }),
          'FORBIDDEN',
        );
      });

      it('queries, exports and live updates', async () => {
        const base = `/api/projects/${project.id}`;
        const read = (url: string, headers: Record<string, string> = bearer(readKey)) =>
          call(ctx.app, 'GET', `${base}${url}`, { headers });
        const series = `get ${M}/series`;
        expectDocumented(
          series,
          await read('/metrics/signups/series?range=today&tz=Mars/Base'),
          'TIME_ZONE_INVALID',
        );
        expectDocumented(
          series,
          await read('/metrics/signups/series?from=yesterday'),
          'RANGE_INVALID',
        );
        expectDocumented(
          series,
          await read('/metrics/signups/series?range=today&format=csv'),
          'QUERY_INVALID',
        );
        expectDocumented(
          series,
          await read('/metrics/signups/series?from=2020-01-01&granularity=minute'),
          'TOO_MANY_BUCKETS',
        );
        const filters = Array.from({ length: 11 }, (_, i) => `filter[k${i}]=v`).join('&');
        expectDocumented(
          series,
          await read(`/metrics/signups/series?range=today&${filters}`),
          'FILTERS_LIMIT',
        );
        expectDocumented(
          series,
          await read('/metrics/signups/series?range=today', bearer(project.apiKey)),
          'KEY_SCOPE_FORBIDDEN',
        );
        expectDocumented(
          series,
          await read('/metrics/signups/series?range=today', bearer('mly_nope')),
          'API_KEY_INVALID',
        );
        expectDocumented(
          series,
          await read('/metrics/nothing-here/series?range=today'),
          'METRIC_NOT_FOUND',
        );
        expectDocumented(
          `get ${M}/series.csv`,
          await read('/metrics/signups/series.csv?range=today&tz=Mars/Base'),
          'TIME_ZONE_INVALID',
        );
        expectDocumented(
          `get ${M}/breakdown`,
          await read('/metrics/signups/breakdown?range=today'),
          'QUERY_INVALID',
        );
        expectDocumented(
          `get ${M}/filters`,
          await read('/metrics/nothing-here/filters'),
          'METRIC_NOT_FOUND',
        );
        expectDocumented(
          `get ${P}/overview`,
          await read('/overview?tz=Mars/Base'),
          'TIME_ZONE_INVALID',
        );
        expectDocumented(
          `get ${M}/events`,
          await read('/metrics/signups/events?range=today&format=xml'),
          'QUERY_INVALID',
        );
        expectDocumented(`get ${M}/events`, await read('/metrics/signups/events'), 'RANGE_INVALID');
        expectDocumented(`get ${P}/live`, await read('/live', {}), 'UNAUTHENTICATED');
        expectDocumented(
          `get ${P}/live`,
          await call(ctx.app, 'GET', '/api/projects/nothing-here/live', {
            headers: bearer(readKey),
          }),
          'PROJECT_NOT_FOUND',
        );
      });

      it('projects and members', async () => {
        const base = `/api/projects/${project.id}`;
        const outsider = await signUp(ctx.app);
        expectDocumented(
          'get /api/projects',
          await call(ctx.app, 'GET', '/api/projects'),
          'UNAUTHENTICATED',
        );
        expectDocumented(
          'post /api/projects',
          await call(ctx.app, 'POST', '/api/projects', { session: owner, body: { name: '  ' } }),
          'VALIDATION_FAILED',
        );
        expectDocumented(
          'post /api/projects',
          await ctx.app.inject({
            method: 'POST',
            url: '/api/projects',
            headers: { cookie: owner.cookie, 'content-type': 'application/json' },
            payload: '{"name":',
          }),
          'INVALID_JSON',
        );
        expectDocumented(
          `get ${P}`,
          await call(ctx.app, 'GET', base, { session: outsider }),
          'PROJECT_NOT_FOUND',
        );
        expectDocumented(
          `patch ${P}`,
          await call(ctx.app, 'PATCH', base, { session: guest, body: { name: 'Mine now' } }),
          'FORBIDDEN',
        );
        expectDocumented(
          `patch ${P}`,
          await call(ctx.app, 'PATCH', base, { session: owner, body: {} }),
          'VALIDATION_FAILED',
        );
        expectDocumented(
          `patch ${P}`,
          await call(ctx.app, 'PATCH', base, {
            session: owner,
            body: { name: 'Elsewhere' },
            headers: { origin: 'https://elsewhere.example', 'sec-fetch-site': 'cross-site' },
          }),
          'CROSS_SITE_REQUEST',
        );
        expectDocumented(
          `delete ${P}`,
          await call(ctx.app, 'DELETE', base, { session: guest }),
          'FORBIDDEN',
        );
        expectDocumented(
          `get ${P}/members`,
          await call(ctx.app, 'GET', `${base}/members`),
          'UNAUTHENTICATED',
        );
        const add = (body: unknown, session = owner) =>
          call(ctx.app, 'POST', `${base}/members`, { session, body });
        expectDocumented(
          `post ${P}/members`,
          await add({ email: uniqueEmail('nobody'), role: 'guest' }),
          'USER_NOT_FOUND',
        );
        expectDocumented(
          `post ${P}/members`,
          await add({ email: guest.user.email, role: 'guest' }),
          'ALREADY_MEMBER',
        );
        expectDocumented(
          `post ${P}/members`,
          await add({ email: outsider.user.email, role: 'guest' }, guest),
          'FORBIDDEN',
        );
        expectDocumented(
          `post ${P}/members`,
          await add({ email: outsider.user.email, role: 'king' }),
          'VALIDATION_FAILED',
        );
        const member = (user: Session) => `${base}/members/${user.user.id}`;
        expectDocumented(
          `patch ${P}/members/{userId}`,
          await call(ctx.app, 'PATCH', member(outsider), {
            session: owner,
            body: { role: 'admin' },
          }),
          'MEMBER_NOT_FOUND',
        );
        expectDocumented(
          `patch ${P}/members/{userId}`,
          await call(ctx.app, 'PATCH', member(owner), { session: owner, body: { role: 'admin' } }),
          'LAST_OWNER',
        );
        expectDocumented(
          `delete ${P}/members/{userId}`,
          await call(ctx.app, 'DELETE', member(owner), { session: owner }),
          'LAST_OWNER',
        );
        expectDocumented(
          `delete ${P}/members/{userId}`,
          await call(ctx.app, 'DELETE', member(outsider), { session: owner }),
          'MEMBER_NOT_FOUND',
        );
      });

      it('API keys', async () => {
        const keys = `/api/projects/${project.id}/keys`;
        const create = (body: unknown, session = owner) =>
          call(ctx.app, 'POST', keys, { session, body });
        expectDocumented(
          `get ${P}/keys`,
          await call(ctx.app, 'GET', '/api/projects/nothing-here/keys', { session: owner }),
          'PROJECT_NOT_FOUND',
        );
        expectDocumented(
          `post ${P}/keys`,
          await create({ name: 'Website', scope: 'public' }),
          'ORIGINS_REQUIRED',
        );
        expectDocumented(
          `post ${P}/keys`,
          await create({ name: 'Website', scope: 'public', origins: ['https://*'] }),
          'ORIGIN_INVALID',
        );
        expectDocumented(
          `post ${P}/keys`,
          await create({ name: 'Backend', scope: 'ingest', origins: [SITE] }),
          'VALIDATION_FAILED',
        );
        expectDocumented(
          `post ${P}/keys`,
          await create({ name: 'Backend', scope: 'ingest' }, guest),
          'FORBIDDEN',
        );
        // The tracker counts into basic metrics: a dual "pageviews" is in its way.
        const busy = await createProject(ctx.app, owner);
        await createMetric(ctx.app, owner, busy.id, { name: 'pageviews', type: 'dual' });
        expectDocumented(
          `post ${P}/keys`,
          await createPublicKey(ctx, owner, busy.id, [SITE]),
          'TRACKER_METRIC_CONFLICT',
        );

        const site = await create({ name: 'Website', scope: 'public', origins: [SITE] });
        expect(site.statusCode, site.body).toBe(201);
        const { id } = site.json().key as { id: string };
        const key = `patch ${P}/keys/{keyId}`;
        const patch = (keyId: string, body: unknown) =>
          call(ctx.app, 'PATCH', `${keys}/${keyId}`, { session: owner, body });
        expectDocumented(key, await patch(id, { origins: [] }), 'ORIGINS_REQUIRED');
        expectDocumented(key, await patch(id, { origins: ['example.com'] }), 'ORIGIN_INVALID');
        expectDocumented(key, await patch(id, {}), 'VALIDATION_FAILED');
        expectDocumented(
          key,
          await patch(project.apiKeyId, { origins: [SITE] }),
          'VALIDATION_FAILED',
        );
        expectDocumented(key, await patch(crypto.randomUUID(), { name: 'x' }), 'KEY_NOT_FOUND');
        const rotate = (keyId: string, session = owner) =>
          call(ctx.app, 'POST', `${keys}/${keyId}/rotate`, { session });
        expectDocumented(`post ${P}/keys/{keyId}/rotate`, await rotate(id, guest), 'FORBIDDEN');
        expectDocumented(
          `post ${P}/keys/{keyId}/rotate`,
          await rotate(crypto.randomUUID()),
          'KEY_NOT_FOUND',
        );
        expectDocumented(
          `delete ${P}/keys/{keyId}`,
          await call(ctx.app, 'DELETE', `${keys}/${id}`, { session: guest }),
          'FORBIDDEN',
        );
        expectDocumented(
          `delete ${P}/keys/{keyId}`,
          await call(ctx.app, 'DELETE', `${keys}/${crypto.randomUUID()}`, { session: owner }),
          'KEY_NOT_FOUND',
        );
        const revoked = await call(ctx.app, 'DELETE', `${keys}/${id}`, { session: owner });
        expect(revoked.statusCode, revoked.body).toBe(200);
        expectDocumented(key, await patch(id, { name: 'Old website' }), 'KEY_REVOKED');
        expectDocumented(`post ${P}/keys/{keyId}/rotate`, await rotate(id), 'KEY_REVOKED');
      });

      it('what a key is', async () => {
        const identify = (headers: Record<string, string>) =>
          call(ctx.app, 'GET', '/api/key', { headers });
        expectDocumented('get /api/key', await identify({}), 'API_KEY_INVALID');
        expectDocumented('get /api/key', await identify(bearer('mly_nope')), 'API_KEY_INVALID');
        const site = await trackerFixture(ctx);
        expectDocumented(
          'get /api/key',
          await identify(bearer(site.key.secret)),
          'KEY_SCOPE_FORBIDDEN',
        );
      });

      it('the website tracker', async () => {
        const op = 'post /track';
        const site = await trackerFixture(ctx);
        const view = { key: site.key.secret, path: '/pricing' };
        const ip = freshIp();
        expectDocumented(op, await track(ctx, view, { raw: '{"key":', ip }), 'INVALID_JSON');
        expectDocumented(
          op,
          await track(ctx, view, { contentType: 'application/xml', ip }),
          'UNSUPPORTED_MEDIA_TYPE',
        );
        expectDocumented(
          op,
          await track(ctx, { ...view, path: `/${'a'.repeat(5000)}` }, { ip }),
          'PAYLOAD_TOO_LARGE',
        );
        expectDocumented(
          op,
          await track(ctx, { key: site.key.secret }, { ip }),
          'VALIDATION_FAILED',
        );
        expectDocumented(
          op,
          await track(ctx, { ...view, key: 'mly_nope' }, { ip }),
          'API_KEY_INVALID',
        );
        expectDocumented(
          op,
          await track(ctx, { ...view, key: site.project.apiKey }, { ip }),
          'KEY_SCOPE_FORBIDDEN',
        );
        expectDocumented(op, await track(ctx, view, { origin: null, ip }), 'ORIGIN_NOT_ALLOWED');
        expectDocumented(
          op,
          await track(ctx, view, { origin: 'https://elsewhere.example', ip }),
          'ORIGIN_NOT_ALLOWED',
        );
        expect((await track(ctx, view, { ip, headers: { 'sec-gpc': '1' } })).statusCode).toBe(204);
        let limited = await track(ctx, view, { ip });
        for (
          let i = 0;
          i < ctx.config.tracker.rateLimitPerSecond && limited.statusCode !== 429;
          i++
        ) {
          expect(limited.statusCode, limited.body).toBe(202);
          expect(limited.headers['access-control-allow-origin']).toBe(SITE);
          expect(limited.headers.ratelimit).toContain('per-visitor');
          limited = await track(ctx, view, { ip });
        }
        expectDocumented(op, limited, 'RATE_LIMITED');
        expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
        expect(limited.headers.ratelimit).toContain('per-visitor');

        const metric = `/api/projects/${site.project.id}/metrics/pageviews`;
        const removed = await call(ctx.app, 'DELETE', metric, { session: site.owner });
        expect(removed.statusCode, removed.body).toBe(204);
        await createMetric(ctx.app, site.owner, site.project.id, {
          name: 'pageviews',
          type: 'average',
        });
        expectDocumented(op, await track(ctx, view, { ip: freshIp() }), 'TRACKER_METRIC_CONFLICT');

        const script = await call(ctx.app, 'GET', '/track.js');
        expect(script.statusCode).toBe(200);
        const again = await call(ctx.app, 'GET', '/track.js', {
          headers: { 'if-none-match': String(script.headers.etag) },
        });
        expect(again.statusCode).toBe(304);
        expect(doc.paths['/track.js']?.get?.responses).toHaveProperty('304');
      });
    });
  });
}
