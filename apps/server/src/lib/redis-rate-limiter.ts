import type { Clock } from './clock.js';
import {
  BURST_MS,
  gcra,
  MemoryRateLimiter,
  type RateDecision,
  type RateLimiter,
} from './rate-limiter.js';
import type { RedisLink } from './redis-link.js';

/**
 * gcra() of rate-limiter.ts in one atomic step on Redis: reads the key's theoretical arrival
 * time, stores the next one if the request is allowed, and returns the one it read, from which
 * the caller computes the same decision. Numbers travel as %.17g text, which round-trips a double.
 */
const GCRA_SCRIPT = `
local now = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local interval = 1000 / tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
local stored = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
local tat = math.max(stored, now)
local nxt = tat + cost * interval
local allow_at = now
if tat > now then allow_at = math.min(nxt - burst, tat) end
if allow_at <= now then
  redis.call('SET', KEYS[1], string.format('%.17g', nxt), 'PX', math.ceil(nxt - now) + 1000)
end
return string.format('%.17g', stored)
`;

interface GcraCommand {
  measurelyGcra(
    key: string,
    now: string,
    cost: string,
    limit: string,
    burst: string,
  ): Promise<string>;
}

/**
 * The rate limiter that several server processes share: each key's state lives in Redis, so a
 * key gets its limit once across every process, not once per process. The time is the
 * caller's clock (processes' clocks agree within milliseconds; the burst is a second). While
 * Redis cannot be reached or does not answer (RedisLink.run), each process limits on its own
 * (a MemoryRateLimiter) rather than refusing events.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly #link: RedisLink;
  readonly #clock: Clock;
  readonly #prefix: string;
  readonly #fallback: MemoryRateLimiter;

  /** `namespace` keeps apart limiters whose keys could meet (API keys, visitors' addresses). */
  constructor(link: RedisLink, clock: Clock, namespace: string) {
    this.#link = link;
    this.#clock = clock;
    this.#prefix = `${link.prefix}rate:${namespace}:`;
    this.#fallback = new MemoryRateLimiter(clock);
    if (!('measurelyGcra' in link.command)) {
      link.command.defineCommand('measurelyGcra', { numberOfKeys: 1, lua: GCRA_SCRIPT });
    }
  }

  async consume(key: string, cost: number, limitPerSecond: number): Promise<RateDecision> {
    const now = this.#clock.now();
    return this.#link.run(
      'did not answer a rate-limit check',
      async (redis) => {
        const stored = await (redis as unknown as GcraCommand).measurelyGcra(
          `${this.#prefix}${key}`,
          String(now),
          String(cost),
          String(limitPerSecond),
          String(BURST_MS),
        );
        return gcra(Number(stored), now, cost, limitPerSecond).decision;
      },
      () => this.#fallback.consume(key, cost, limitPerSecond),
    );
  }
}
