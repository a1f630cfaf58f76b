import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** apps/web/dist, from src/plugins (tsx) and from dist/plugins (built) alike. */
export const WEB_BUILD_DIR = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

export interface WebPluginOptions {
  /** The dashboard's build; default {@link WEB_BUILD_DIR}. */
  readonly root?: string;
}

/** Paths that belong to the API: a miss there stays a JSON 404, never the dashboard. */
const NOT_DASHBOARD = /^\/(?:api|event|v1|assets)(?:\/|$)|^\/(?:healthz|readyz)(?:\/|$)/;

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/** A browser loading a page of the dashboard (typed, bookmarked or reloaded). */
function isPageRequest(request: FastifyRequest): boolean {
  if (request.method !== 'GET') return false;
  const pathname = request.url.split('?')[0] ?? '/';
  if (NOT_DASHBOARD.test(pathname)) return false;
  return (request.headers.accept ?? '').includes('text/html');
}

/**
 * Serves the dashboard (apps/web) from its build: hashed files under /assets/ cached for good,
 * everything else revalidated, and index.html for any other page path so the app's own router
 * handles it. Without a build (a fresh checkout, the server's tests) it serves nothing, and
 * says so once.
 */
export const webPlugin = fp<WebPluginOptions>(
  async (app: FastifyInstance, options) => {
    const root = path.resolve(options.root ?? WEB_BUILD_DIR);
    if (!existsSync(path.join(root, 'index.html'))) {
      app.log.info(
        { root },
        'the dashboard is not built (npm run build -w apps/web): serving the API only',
      );
      return;
    }

    await app.register(fastifyStatic, {
      root,
      // A route per file, no catch-all `GET /*`: unknown paths keep the API's 404 and 405. Not
      // `/` either: like any page, it is index.html for a browser, a 404 for an API client.
      wildcard: false,
      index: false,
      globIgnore: ['**/*.gz', '**/*.br'],
      preCompressed: true,
      cacheControl: false,
      setHeaders: (reply: FastifyReply, filePath: string) => {
        const relative = path.relative(root, filePath).split(path.sep);
        reply.header('cache-control', relative[0] === 'assets' ? IMMUTABLE : REVALIDATE);
      },
    });

    // Only requests no route matched reach the 404 handler; this hook runs on those (and on the
    // static routes registered above), never on the API's or the ingestion's routes.
    app.addHook('onRequest', (request, reply, done) => {
      if (!request.is404 || !isPageRequest(request)) {
        done();
        return;
      }
      reply.code(200).sendFile('index.html');
    });
  },
  { name: 'web', fastify: '5.x' },
);
