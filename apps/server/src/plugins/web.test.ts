import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../test/assertions.js';
import { errorHandlerPlugin } from './error-handler.js';
import { webPlugin } from './web.js';

const INDEX = '<!doctype html><html><head><title>Measurely</title></head><body></body></html>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(2000))});`;
const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

/** A build like `vite build` writes: index.html, a favicon, hashed assets, their .gz siblings. */
function makeBuild(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'measurely-web-'));
  fs.mkdirSync(path.join(root, 'assets'));
  fs.writeFileSync(path.join(root, 'index.html'), INDEX);
  fs.writeFileSync(path.join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  fs.writeFileSync(path.join(root, 'assets', 'index-3f9a1c.js'), SCRIPT);
  fs.writeFileSync(path.join(root, 'assets', 'index-3f9a1c.js.gz'), gzipSync(SCRIPT));
  return root;
}

/** The parts of the real app a miss goes through: the error handler, an API scope, ingestion. */
async function makeApp(root: string, logs?: Writable): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logs === undefined ? false : { level: 'info', stream: logs },
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  await app.register(errorHandlerPlugin);
  app.get('/healthz', async () => ({ status: 'ok' }));
  await app.register(async (api) => {
    api.get('/api/things', async () => ({ things: [] }));
  });
  await app.register(async (ingest) => {
    ingest.post('/event/v1/:metric', async () => ({ ok: true }));
  });
  await app.register(webPlugin, { root });
  await app.ready();
  return app;
}

describe('web plugin', () => {
  let root: string;
  let app: FastifyInstance;
  beforeAll(async () => {
    root = makeBuild();
    app = await makeApp(root);
  });
  afterAll(async () => {
    await app.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('serves index.html at / and asks browsers to revalidate it', async () => {
    const response = await app.inject({ method: 'GET', url: '/', headers: HTML });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.body).toBe(INDEX);
  });

  it('answers a page path of the dashboard with index.html, for its router', async () => {
    for (const url of ['/projects/x', '/projects/x/settings?tab=1', '/sign-in', '/?next=1']) {
      const response = await app.inject({ method: 'GET', url, headers: HTML });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type'], url).toMatch(/^text\/html/);
      expect(response.headers['cache-control'], url).toBe('no-cache');
      expect(response.body, url).toBe(INDEX);
    }
  });

  it('caches hashed assets for good and other files until revalidated', async () => {
    const asset = await app.inject({ method: 'GET', url: '/assets/index-3f9a1c.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.body).toBe(SCRIPT);

    const icon = await app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).toBe('no-cache');
  });

  it('sends the precompressed file to a client that accepts it', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/assets/index-3f9a1c.js',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-encoding']).toBe('gzip');
    expect(response.headers.vary).toMatch(/accept-encoding/i);
    expect(response.rawPayload.length).toBeLessThan(SCRIPT.length);
  });

  it('keeps the JSON 404 for API paths, even from a browser', async () => {
    for (const url of ['/api/nope', '/api/projects/x/nope', '/healthz/x', '/readyz', '/v1/x']) {
      const response = await app.inject({ method: 'GET', url, headers: HTML });
      expectProblem(response, 404, 'ROUTE_NOT_FOUND');
    }
    const api = await app.inject({ method: 'GET', url: '/api/things', headers: HTML });
    expect(api.json()).toEqual({ things: [] });
  });

  it('leaves ingestion alone', async () => {
    const sent = await app.inject({ method: 'POST', url: '/event/v1/signups', payload: {} });
    expect(sent.json()).toEqual({ ok: true });
    // A known path with another method is still a 405, not the dashboard.
    const read = await app.inject({ method: 'GET', url: '/event/v1/signups', headers: HTML });
    expectProblem(read, 405, 'METHOD_NOT_ALLOWED');
    const unknown = await app.inject({ method: 'GET', url: '/event/v2/x', headers: HTML });
    expectProblem(unknown, 404, 'ROUTE_NOT_FOUND');
  });

  it('answers a missing asset or a non-page request with the JSON 404', async () => {
    const asset = await app.inject({ method: 'GET', url: '/assets/gone-123.js', headers: HTML });
    expectProblem(asset, 404, 'ROUTE_NOT_FOUND');
    // A script's fetch or an API client does not ask for HTML, not even at /.
    for (const url of ['/projects/x', '/', '/?q=1']) {
      const json = await app.inject({
        method: 'GET',
        url,
        headers: { accept: 'application/json' },
      });
      expectProblem(json, 404, 'ROUTE_NOT_FOUND');
    }
    const post = await app.inject({ method: 'POST', url: '/projects/x', headers: HTML });
    expectProblem(post, 404, 'ROUTE_NOT_FOUND');
    // The files it serves take GET only.
    const put = await app.inject({ method: 'PUT', url: '/favicon.svg', headers: HTML });
    expect(put.statusCode).toBe(405);
  });
});

describe('web plugin without a build', () => {
  const lines: string[] = [];
  const logs = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
  });

  it('serves nothing and says so once', async () => {
    const missing = path.join(os.tmpdir(), 'measurely-web-missing', String(process.pid));
    app = await makeApp(missing, logs);
    const said = lines
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((entry) => entry.msg.includes('dashboard is not built'));
    expect(said).toHaveLength(1);
    expect(said[0]?.level).toBe(30);

    for (const url of ['/', '/projects/x']) {
      const response = await app.inject({ method: 'GET', url, headers: HTML });
      expectProblem(response, 404, 'ROUTE_NOT_FOUND');
    }
  });
});
