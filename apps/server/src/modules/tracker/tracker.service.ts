import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { Config } from '../../config.js';
import { AppError } from '../../errors.js';
import { OPERATOR } from '../../lib/actor.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { RateDecision, RateLimiter } from '../../lib/rate-limiter.js';
import { validate } from '../../lib/validate.js';
import { parseFilters } from '../ingest/event-input.js';
import { assertStored, type IngestService, type TrackedEvent } from '../ingest/ingest.service.js';
import type { KeyIdentity, KeysService } from '../keys/keys.service.js';
import type { MetricsService } from '../metrics/metrics.service.js';
import type { ProjectsService } from '../projects/projects.service.js';
import { matchOrigin } from './origins.js';
import { pagePath, referrerHost } from './page-view.js';
import type { TrackerRepo } from './tracker.repo.js';
import { TrackBody } from './tracker.schemas.js';
import {
  ensureTrackerMetrics,
  TRACKER_METRICS,
  type TrackerMetricName,
} from './tracker-metrics.js';
import { browserOf, deviceOf, isBot } from './user-agent.js';

/** A page view as the HTTP layer hands it over. */
export interface TrackInput {
  readonly body: unknown;
  /** The Origin header: where the page that sent it lives. */
  readonly origin: string | undefined;
  /** The visitor's address (Fastify's request.ip, which honours MEASURELY_TRUST_PROXY). */
  readonly ip: string;
  readonly userAgent: string | undefined;
  /** The request carried Sec-GPC: 1 or DNT: 1 (the script's own flag is `gpc` in the body). */
  readonly privacySignal: boolean;
}

/** 202: recorded · 204: deliberately not recorded (privacy signal, robot). */
export interface TrackReply {
  readonly status: 202 | 204;
  readonly headers: Record<string, string>;
}

/** Visitors remembered in memory per day, so a returning visitor costs no write. */
const SEEN_LIMIT = 100_000;

/** What one server holds of the current UTC day. */
interface DayState {
  readonly day: string;
  readonly salt: Promise<string>;
  /** `project:hash` of the visitors known to be stored for the day. */
  readonly seen: Set<string>;
  /** Bumped when a stored visitor is taken back (see forgetVisitor). */
  epoch: number;
}

/** The UTC day of an instant, `YYYY-MM-DD`: visitors are counted once per such day. */
export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** The rate-limit bucket of an address: IPv6 clients get a /64 each, so one per /64. */
function rateKey(ip: string): string {
  if (isIP(ip) !== 6 || ip.includes('.')) return `track:${ip}`;
  const [head = '', tail = ''] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `track:${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

function rateHeaders(limit: number, decision: RateDecision): Record<string, string> {
  const headers: Record<string, string> = {
    'ratelimit-policy': `"per-visitor";q=${limit};w=1`,
    ratelimit: `"per-visitor";r=${decision.remaining};t=${decision.resetSeconds}`,
  };
  if (!decision.allowed) headers['retry-after'] = String(decision.retryAfterSeconds);
  return headers;
}

function withHeaders(error: unknown, headers: Record<string, string>): unknown {
  if (!(error instanceof AppError)) return error;
  return new AppError(error.code, error.detail, {
    extensions: error.extensions,
    headers: { ...headers, ...error.headers },
    cause: error,
  });
}

export function createTrackerService(deps: {
  repo: TrackerRepo;
  keys: KeysService;
  metrics: MetricsService;
  projects: ProjectsService;
  ingest: IngestService;
  limiter: RateLimiter;
  clock: Clock;
  config: Config['tracker'];
  log: Logger;
}) {
  const { repo, keys, metrics, projects, ingest, limiter, clock, config, log } = deps;
  let today: DayState | undefined;

  /** The salt of the day, shared by every server through the database; a new day forgets the last. */
  function dayState(day: string): DayState {
    if (today?.day === day) return today;
    const salt = repo.saltOf(day, randomBytes(32).toString('hex'), clock.now());
    const state: DayState = { day, salt, seen: new Set<string>(), epoch: 0 };
    today = state;
    salt.catch(() => {
      if (today === state) today = undefined;
    });
    repo.deleteDaysBefore(day).catch((error: unknown) => {
      log.error({ err: error }, 'could not delete the tracker data of past days');
    });
    return state;
  }

  /**
   * SHA-256 of the day's salt, the project, the address and the user agent: the same visitor
   * gets the same id all day, and nothing links it to another day once the salt is deleted.
   */
  async function visitorId(day: string, projectId: string, ip: string, userAgent: string) {
    const state = dayState(day);
    const salt = await state.salt;
    const hash = createHash('sha256')
      .update(`${salt}\u0000${projectId}\u0000${ip}\u0000${userAgent}`)
      .digest('hex')
      .slice(0, 32);
    return { state, hash, memo: `${projectId}:${hash}` };
  }

  /** Remembers a visitor of the day, so their next page views cost no write. */
  function remember(state: DayState, memo: string): void {
    if (state.seen.size >= SEEN_LIMIT) state.seen.clear();
    state.seen.add(memo);
  }

  /**
   * Takes back a first visit whose events were not stored, so the visitor counts when they come
   * back. Bumping the epoch before and after the delete keeps requests that read the row while it
   * was still there from remembering the visitor.
   */
  async function forgetVisitor(
    state: DayState,
    visitor: { hash: string; memo: string },
    projectId: string,
  ): Promise<void> {
    state.epoch += 1;
    state.seen.delete(visitor.memo);
    try {
      await repo.removeVisitor(projectId, state.day, visitor.hash);
    } finally {
      state.epoch += 1;
      state.seen.delete(visitor.memo);
    }
  }

  /** The ids of the tracker's metrics, created again (as basic metrics) if they were deleted. */
  async function trackerMetrics(projectId: string): Promise<Record<TrackerMetricName, string>> {
    const resolved = await Promise.all(
      Object.values(TRACKER_METRICS).map((name) => metrics.resolveForIngest(projectId, name)),
    );
    const [pageviews, visitors] = resolved;
    if (pageviews === undefined || visitors === undefined) {
      return ensureTrackerMetrics(metrics, OPERATOR, projectId);
    }
    for (const [i, metric] of resolved.entries()) {
      if (metric?.type !== 'basic') {
        throw new AppError(
          'TRACKER_METRIC_CONFLICT',
          `The project's "${Object.values(TRACKER_METRICS)[i]}" metric is not basic; the tracker cannot record into it.`,
        );
      }
    }
    return { pageviews: pageviews.id, visitors: visitors.id };
  }

  async function admit(body: TrackBody, origin: string | undefined): Promise<KeyIdentity> {
    const identity = await keys.identifyKey(body.key);
    if (identity === undefined) {
      throw new AppError('API_KEY_INVALID', 'This key is unknown, rotated away or revoked.');
    }
    if (identity.scope !== 'public') {
      throw new AppError(
        'KEY_SCOPE_FORBIDDEN',
        `The tracker takes a public key; this is ${identity.scope === 'ingest' ? 'an' : 'a'} ${identity.scope} key, which must never be in a web page: rotate it.`,
      );
    }
    if (origin === undefined) {
      throw new AppError(
        'ORIGIN_NOT_ALLOWED',
        'Page views are accepted only from a browser page: the Origin header is missing.',
      );
    }
    return identity;
  }

  async function record(
    identity: KeyIdentity,
    body: TrackBody,
    input: TrackInput & { userAgent: string },
    pageHost: string,
    now: number,
  ): Promise<void> {
    const { projectId } = identity;
    const ids = await trackerMetrics(projectId);
    const device = deviceOf(input.userAgent, body.width);
    const browser = browserOf(input.userAgent);
    const referrer = referrerHost(body.referrer, pageHost);
    const page: TrackedEvent = {
      metricId: ids.pageviews,
      filters: parseFilters({
        path: pagePath(body.path),
        device,
        browser,
        ...(referrer === undefined ? {} : { referrer }),
      }),
    };
    // One instant for the visitor's day and the events' time, so both fall on the same day.
    const day = utcDay(now);
    const visitor = await visitorId(day, projectId, input.ip, input.userAgent);
    const { state } = visitor;
    const epoch = state.epoch;
    // The database decides who is new: of two first page views at once, one inserts the row.
    const firstVisit =
      !state.seen.has(visitor.memo) && (await repo.addVisitor(projectId, day, visitor.hash));
    const events = firstVisit
      ? [page, { metricId: ids.visitors, filters: parseFilters({ device, browser }) }]
      : [page];

    let outcomes: Awaited<ReturnType<IngestService['recordTracked']>> = [];
    try {
      outcomes = await ingest.recordTracked(identity, events, now);
    } finally {
      if (firstVisit && outcomes[1]?.ok !== true) {
        // A visit that was not counted must count when the visitor comes back.
        await forgetVisitor(state, visitor, projectId);
      } else if (firstVisit || state.epoch === epoch) {
        remember(state, visitor.memo);
      }
    }
    assertStored(outcomes[0], 'The page view was not stored.', now);
  }

  return {
    /**
     * `POST /track`: charges the visitor's rate first (so unknown keys and foreign origins are
     * limited too), then checks the body, the key (a known, active public key), the Origin (one
     * the key allows) and the privacy signals; then counts the page view and, on the visitor's
     * first of the UTC day, the visitor. CORS headers are sent only once the origin is known to
     * be allowed.
     */
    async track(input: TrackInput): Promise<TrackReply> {
      const now = clock.now();
      const decision = await limiter.consume(rateKey(input.ip), 1, config.rateLimitPerSecond);
      let headers = rateHeaders(config.rateLimitPerSecond, decision);
      try {
        if (!decision.allowed) {
          throw new AppError(
            'RATE_LIMITED',
            `At most ${config.rateLimitPerSecond} page views per second from one visitor; retry in ${decision.retryAfterSeconds} s.`,
          );
        }
        const body = validate(TrackBody, input.body);
        const identity = await admit(body, input.origin);
        const origin = matchOrigin(input.origin, identity.origins);
        if (origin === undefined) {
          throw new AppError(
            'ORIGIN_NOT_ALLOWED',
            `This key does not accept page views from ${String(input.origin).slice(0, 200)}; add the site to its allowed origins.`,
          );
        }
        headers = { 'access-control-allow-origin': origin, vary: 'Origin', ...headers };
        const honours = await projects.honoursPrivacySignals(identity.projectId);
        if (honours === undefined) throw new AppError('API_KEY_INVALID', 'This key is unknown.');
        const userAgent = input.userAgent ?? '';
        const signal = input.privacySignal || body.gpc === true;
        if ((signal && honours) || isBot(userAgent)) return { status: 204, headers };
        await record(identity, body, { ...input, userAgent }, new URL(origin).hostname, now);
        return { status: 202, headers };
      } catch (error) {
        throw withHeaders(error, headers);
      }
    },

    /**
     * Deletes the salts and visitors of past days, and forgets a past day held in memory (also
     * done on the first page view of a day).
     */
    async purgeExpired(): Promise<void> {
      const day = utcDay(clock.now());
      if (today !== undefined && today.day !== day) today = undefined;
      await repo.deleteDaysBefore(day);
    },
  };
}

export type TrackerService = ReturnType<typeof createTrackerService>;
