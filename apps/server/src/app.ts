import cookie from '@fastify/cookie';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyServerOptions, LogController } from 'fastify';
import type { Config } from './config.js';
import { AppError } from './errors.js';
import { type App, ProblemSchema } from './http.js';
import { type Clock, systemClock } from './lib/clock.js';
import type { CounterStore } from './lib/counter-store.js';
import type { RateLimiter } from './lib/rate-limiter.js';
import { requestIdOf } from './lib/request-id.js';
import { accountsRoutes } from './modules/accounts/accounts.routes.js';
import { exportRoutes } from './modules/export/export.routes.js';
import { createIngestExchange } from './modules/ingest/ingest.fast-path.js';
import { createIngestRepo } from './modules/ingest/ingest.repo.js';
import { ingestRoutes } from './modules/ingest/ingest.routes.js';
import { createIngestService } from './modules/ingest/ingest.service.js';
import { attachIngestWire } from './modules/ingest/ingest.wire.js';
import { corsHeadersFor, isIngestionUrl } from './modules/ingest/ingest-http.js';
import { invitationsRoutes } from './modules/invitations/invitations.routes.js';
import { keyIdentityRoutes } from './modules/keys/key-identity.routes.js';
import { keysRoutes } from './modules/keys/keys.routes.js';
import { liveRoutes } from './modules/live/live.routes.js';
import { LiveHub } from './modules/live/live-hub.js';
import type { LiveRelay } from './modules/live/live-relay.js';
import { metricsRoutes } from './modules/metrics/metrics.routes.js';
import { projectsRoutes } from './modules/projects/projects.routes.js';
import { queryRoutes } from './modules/query/query.routes.js';
import { systemRoutes } from './modules/system/system.routes.js';
import { createTrackerRepo } from './modules/tracker/tracker.repo.js';
import { trackerRoutes } from './modules/tracker/tracker.routes.js';
import { createTrackerService } from './modules/tracker/tracker.service.js';
import { apiDocsPlugin } from './plugins/api-docs.js';
import { answerClientError, errorHandlerPlugin, sendProblem } from './plugins/error-handler.js';
import { createReaderAuth } from './plugins/reader.js';
import { sameOriginPlugin } from './plugins/same-origin.js';
import { createSessionHelpers } from './plugins/session.js';
import { webPlugin } from './plugins/web.js';
import { createServices, type Services } from './services.js';
import { localSharedState, openRedisSharedState, type SharedState } from './shared-state.js';
import { openStorage, type Storage } from './storage/database.js';

export interface AppOverrides {
  readonly clock?: Clock;
  /** An already open storage; the app then leaves closing it to the caller. */
  readonly storage?: Storage;
  readonly attempts?: CounterStore;
  readonly limiter?: RateLimiter;
  /** Where logs go instead of stdout, e.g. a test capturing them. */
  readonly logStream?: NodeJS.WritableStream;
}

/** Builds the whole HTTP application without listening, so tests can inject requests. */
export async function buildApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  if (overrides.storage !== undefined) return assembleApp(config, overrides, overrides.storage);
  const storage = await openStorage(config.database, { checkpointer: true });
  try {
    return await assembleApp(config, overrides, storage);
  } catch (error) {
    await storage.close();
    throw error;
  }
}

async function assembleApp(
  config: Config,
  overrides: AppOverrides,
  storage: Storage,
): Promise<App> {
  const clock = overrides.clock ?? systemClock;
  const logger: FastifyServerOptions['logger'] = {
    level: config.logLevel,
    redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
    ...(overrides.logStream === undefined ? {} : { stream: overrides.logStream }),
  };
  const { trustProxy } = config;
  const app = Fastify({
    logger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy:
      typeof trustProxy === 'number'
        ? (_address: string, hop: number) => hop < trustProxy
        : trustProxy,
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    genReqId: (request) => requestIdOf(request.headers),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
    routerOptions: { ignoreTrailingSlash: true },
    // Node's HTTP parser refuses a malformed request before any route: a problem document too.
    clientErrorHandler: answerClientError,
    // The router answers a bad %-encoding or an over-long path segment before any hook runs.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id);
      if (isIngestionUrl(request.url)) reply.headers(corsHeadersFor(request.headers));
      let known: AppError;
      if (error.code === 'FST_ERR_BAD_URL') {
        known = new AppError('BAD_REQUEST', 'The URL is not validly percent-encoded.');
      } else if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
        known = new AppError('BAD_REQUEST', 'A segment of the URL path is too long.');
      } else {
        request.log.error({ err: error }, 'unhandled framework error');
        known = new AppError('INTERNAL', 'Something went wrong on our side.');
      }
      sendProblem(reply, known);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Limits, caches' invalidations and live updates: in memory for one process, in Redis for
  // several (REDIS_URL).
  const shared =
    config.redis === null
      ? localSharedState(clock)
      : await openRedisSharedState(config.redis, clock, app.log);
  try {
    const services = createServices({
      storage,
      config,
      clock,
      attempts: overrides.attempts ?? shared.attempts,
      bus: shared.bus,
    });
    const live = new LiveHub({ services, log: app.log });
    const relay = await shared.relay(live);
    await assembleRoutes(app, config, overrides, storage, { services, live, relay, shared, clock });
  } catch (error) {
    await shared.close();
    throw error;
  }
  return app;
}

/** The hooks and routes of the app, on its services and shared state. */
async function assembleRoutes(
  app: App,
  config: Config,
  overrides: AppOverrides,
  storage: Storage,
  parts: {
    services: Services;
    live: LiveHub;
    relay: LiveRelay;
    shared: SharedState;
    clock: Clock;
  },
): Promise<void> {
  const { services, live, relay, shared, clock } = parts;
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // Browsers may read every answer under the ingestion routes' prefix (404s and 405s too).
    if (isIngestionUrl(request.url)) reply.headers(corsHeadersFor(request.headers));
    done();
  });
  const ingest = createIngestService({
    repo: createIngestRepo(storage),
    keys: services.keys,
    metrics: services.metrics,
    projects: services.projects,
    limiter: overrides.limiter ?? shared.limiter('key'),
    clock,
    config,
    log: app.log,
    onCommitted: (changes) => relay.committed(changes),
  });
  const tracker = createTrackerService({
    repo: createTrackerRepo(storage.db),
    keys: services.keys,
    metrics: services.metrics,
    projects: services.projects,
    ingest,
    limiter: overrides.limiter ?? shared.limiter('ip'),
    clock,
    config: config.tracker,
    log: app.log,
  });
  const purge = setInterval(() => {
    ingest.purgeExpiredIdempotencyKeys().catch((error: unknown) => {
      app.log.error({ err: error }, 'could not purge expired idempotency keys');
    });
  }, 3_600_000);
  purge.unref();
  // Open event streams never finish on their own: end them before the server waits for requests.
  app.addHook('preClose', async () => {
    live.close();
  });
  // Requests still in flight finish before this runs; then the last commits, then the database.
  app.addHook('onClose', async () => {
    clearInterval(purge);
    await ingest.close();
    await relay.close();
    await shared.close();
    if (overrides.storage === undefined) await storage.close();
  });

  // Bodies are JSON only: without Fastify's default text/plain parser, any other type gets 415.
  app.removeContentTypeParser('text/plain');
  // An empty body with a JSON content type counts as no body; anything else must parse.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, text, (error, value) => {
      if (error !== null) {
        done(new AppError('INVALID_JSON', 'The body is not valid JSON.'), undefined);
      } else {
        done(null, value);
      }
    });
  });

  await app.register(errorHandlerPlugin);
  app.addSchema(ProblemSchema);
  await app.register(apiDocsPlugin);

  const session = createSessionHelpers(services.accounts, config);
  const deps = { services, session, reader: createReaderAuth(services.keys, session), config };
  await app.register(systemRoutes, { storage, shared });
  // The management API, in its own scope: cookies and the same-origin check are its concern,
  // and stay off the ingestion hot path.
  await app.register(async (api) => {
    await api.register(sameOriginPlugin);
    await api.register(cookie);
    await api.register(accountsRoutes, deps);
    await api.register(projectsRoutes, deps);
    await api.register(invitationsRoutes, deps);
    await api.register(keysRoutes, deps);
    await api.register(keyIdentityRoutes, deps);
    await api.register(metricsRoutes, deps);
    await api.register(queryRoutes, deps);
    await api.register(liveRoutes, { ...deps, live });
    await api.register(exportRoutes, { ...deps, storage });
  });
  await app.register(ingestRoutes, {
    ingest,
    maxBatchEvents: config.ingest.maxBatchEvents,
    appLogLevel: config.logLevel,
  });
  // Like ingestion, outside the management scope: any site loads /track.js and posts page views.
  await app.register(trackerRoutes, { tracker });
  await app.register(webPlugin);

  // Ingestion's hot path is read off the socket, before Node's HTTP machinery and the framework;
  // whatever it does not take (and, once closing, everything) goes on to Fastify as before.
  let closing = false;
  const wire = attachIngestWire(app.server, {
    exchange: createIngestExchange({ ingest, log: app.log }),
    bodyLimit: config.bodyLimitBytes,
    closing: () => closing,
  });
  app.addHook('preClose', async () => {
    closing = true;
    wire.closeIdle();
  });
}
