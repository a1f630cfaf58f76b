import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether an Origin names this host (default ports ignored, as browsers send them). */
function sameHost(origin: string, host: string): boolean {
  try {
    const from = new URL(origin);
    return new URL(`${from.protocol}//${host}`).host === from.host;
  } catch {
    return false;
  }
}

/**
 * The management API acts on a session cookie, so a state-changing request must come from this
 * site: browsers say where a request comes from (Sec-Fetch-Site, Origin), and a cross-site one is
 * refused. Requests without those headers (curl, scripts) carry no ambient cookie to abuse.
 */
export const sameOriginPlugin = fp(
  async (app: FastifyInstance) => {
    app.addHook('onRequest', async (request) => {
      if (SAFE_METHODS.has(request.method) || !request.url.startsWith('/api/')) return;
      const site = request.headers['sec-fetch-site'];
      if (site !== undefined && site !== 'same-origin' && site !== 'none') {
        throw new AppError('CROSS_SITE_REQUEST', 'Requests from another site are refused.');
      }
      const origin = request.headers.origin;
      if (origin === undefined) return;
      if (!sameHost(origin, request.host)) {
        throw new AppError('CROSS_SITE_REQUEST', `Requests from ${origin} are refused.`);
      }
    });
  },
  { name: 'same-origin' },
);
