import type { RedisConfig } from './config.js';
import type { Clock } from './lib/clock.js';
import { type CounterStore, MemoryCounterStore } from './lib/counter-store.js';
import {
  type InvalidationBus,
  MemoryInvalidationBus,
  RedisInvalidationBus,
} from './lib/invalidation-bus.js';
import type { Logger } from './lib/logger.js';
import { MemoryRateLimiter, type RateLimiter } from './lib/rate-limiter.js';
import { RedisCounterStore } from './lib/redis-counter-store.js';
import { RedisLink } from './lib/redis-link.js';
import { RedisRateLimiter } from './lib/redis-rate-limiter.js';
import type { LiveHub } from './modules/live/live-hub.js';
import { type LiveRelay, localRelay, redisRelay } from './modules/live/live-relay.js';

/**
 * What the server processes of one deployment must share: rate limits, the sign-in throttle,
 * the invalidation of cached keys and metrics, and live updates. Chosen once at start-up: in
 * memory for one process, in Redis for several (docs/decisions/0020).
 */
export interface SharedState {
  /** A rate limiter; `namespace` keeps apart keys that could meet (API keys, IP addresses). */
  limiter(namespace: 'key' | 'ip'): RateLimiter;
  readonly attempts: CounterStore;
  readonly bus: InvalidationBus;
  /** Where commits are announced, for the live updates of every process. */
  relay(hub: LiveHub): Promise<LiveRelay>;
  /** Whether the shared store answers; undefined when there is none (one process). */
  health(): Promise<'ok' | 'unreachable' | undefined>;
  close(): Promise<void>;
}

/** One process: everything in its memory. */
export function localSharedState(clock: Clock): SharedState {
  return {
    limiter: () => new MemoryRateLimiter(clock),
    attempts: new MemoryCounterStore(clock),
    bus: new MemoryInvalidationBus(),
    relay: async (hub) => localRelay(hub),
    health: async () => undefined,
    close: async () => undefined,
  };
}

/** Several processes: state in the Redis of `config`; fails when it cannot be reached. */
export async function openRedisSharedState(
  config: RedisConfig,
  clock: Clock,
  log: Logger,
): Promise<SharedState> {
  const link = await RedisLink.open(config, log);
  try {
    const bus = await RedisInvalidationBus.open(link);
    return {
      limiter: (namespace) => new RedisRateLimiter(link, clock, namespace),
      attempts: new RedisCounterStore(link, clock),
      bus,
      relay: (hub) => redisRelay(hub, link),
      health: async () => ((await link.ping()) ? 'ok' : 'unreachable'),
      close: () => link.close(),
    };
  } catch (error) {
    await link.close();
    throw error;
  }
}
