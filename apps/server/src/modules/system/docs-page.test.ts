import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProblemSchema } from '../../http.js';
import { apiDocsPlugin, DOCS_TITLE } from '../../plugins/api-docs.js';
import { errorHandlerPlugin } from '../../plugins/error-handler.js';
import { webPlugin } from '../../plugins/web.js';
import { call } from '../../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../../test/harness.js';

const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

/** The files the page loads, as its HTML names them. */
function assetsOf(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
}

for (const dialect of DIALECTS) {
  describe(`API reference at /docs [${dialect}]`, () => {
    let ctx: TestContext;
    beforeAll(async () => {
      ctx = await createTestApp(dialect);
    });
    afterAll(() => ctx.close());

    it('answers 200 HTML titled after the product, with or without a trailing slash', async () => {
      for (const url of ['/docs', '/docs/']) {
        const response = await ctx.app.inject({ method: 'GET', url, headers: HTML });
        expect(response.statusCode, url).toBe(200);
        expect(response.headers['content-type'], url).toMatch(/^text\/html/);
        expect(response.body, url).toContain(`<title>${DOCS_TITLE}</title>`);
        expect(response.body, url).toContain('id="swagger-ui"');
      }
    });

    it('serves every file the page loads itself: nothing comes from another host', async () => {
      for (const url of ['/docs', '/docs/']) {
        const html = (await call(ctx.app, 'GET', url)).body;
        const assets = assetsOf(html);
        expect(assets.length, url).toBeGreaterThanOrEqual(5);
        for (const asset of assets) {
          expect(asset, url).not.toMatch(/^(https?:)?\/\//);
          const response = await call(ctx.app, 'GET', new URL(asset, `http://x${url}`).pathname);
          expect(response.statusCode, asset).toBe(200);
          expect(response.body.length, asset).toBeGreaterThan(0);
        }
      }
      const initializer = (await call(ctx.app, 'GET', '/docs/static/swagger-initializer.js')).body;
      expect(initializer).toContain('"persistAuthorization":true');
      expect(initializer).toContain('validatorUrl: null');
    });

    it('keeps scripts to its own files but works over plain HTTP', async () => {
      const response = await call(ctx.app, 'GET', '/docs');
      const csp = String(response.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("frame-ancestors 'self'");
      expect(csp).not.toContain('upgrade-insecure-requests');
      // Only the reference gets this policy: the API and the dashboard are left alone.
      const api = await call(ctx.app, 'GET', '/api/openapi.json');
      expect(api.headers['content-security-policy']).toBeUndefined();
    });

    it('shows the same document as /api/openapi.json, which validates as OpenAPI 3.1', async () => {
      const document = (await call(ctx.app, 'GET', '/api/openapi.json')).json();
      const shown = await call(ctx.app, 'GET', '/docs/json');
      expect(shown.statusCode).toBe(200);
      expect(shown.json()).toEqual(document);
      const result = await new Validator().validate(document);
      expect(result.errors).toBeUndefined();
      expect(result.valid).toBe(true);
      // The reference's own routes are not part of the API it documents.
      expect(Object.keys(document.paths).filter((p) => p.startsWith('/docs'))).toEqual([]);
    });

    it('answers the API’s 404 under /docs/static for a file that does not exist', async () => {
      const response = await call(ctx.app, 'GET', '/docs/static/nothing-here.js');
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toContain('application/problem+json');
    });
  });
}

describe('API reference next to the dashboard', () => {
  let root: string;
  let app: FastifyInstance;
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'measurely-docs-'));
    fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Dashboard</title>');
    app = Fastify();
    await app.register(errorHandlerPlugin);
    app.addSchema(ProblemSchema);
    await app.register(apiDocsPlugin);
    await app.register(webPlugin, { root });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('is not swallowed by the dashboard’s page fallback', async () => {
    for (const url of ['/docs', '/docs/', '/docs/?foo=1']) {
      const response = await app.inject({ method: 'GET', url, headers: HTML });
      expect(response.statusCode, url).toBe(200);
      expect(response.body, url).toContain(DOCS_TITLE);
    }
    const css = await app.inject({
      method: 'GET',
      url: '/docs/static/swagger-ui.css',
      headers: HTML,
    });
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    // Any other page path still belongs to the dashboard.
    const page = await app.inject({ method: 'GET', url: '/projects/x', headers: HTML });
    expect(page.body).toContain('<title>Dashboard</title>');
  });
});
