import type { Clock } from './clock.js';

export interface RateDecision {
  readonly allowed: boolean;
  /** Requests of cost 1 still allowed right now. */
  readonly remaining: number;
  /** Seconds until the bucket is full again. */
  readonly resetSeconds: number;
  /** Seconds to wait before this request would be allowed; 0 when allowed. */
  readonly retryAfterSeconds: number;
}

/**
 * A per-key rate limiter: `limit` units per second with a burst of one second's worth. The
 * memory implementation serves one process; the Redis one (redis-rate-limiter.ts) many, and
 * answers once Redis has.
 */
export interface RateLimiter {
  consume(key: string, cost: number, limitPerSecond: number): RateDecision | Promise<RateDecision>;
}

/** The burst: one second's worth of units. */
export const BURST_MS = 1000;

/**
 * GCRA (the generic cell rate algorithm): one number per key, the theoretical arrival time
 * (`tat`, epoch ms) of the next unit, so there is no background refill. Given a key's `tat` (or
 * `now` for a key never seen), the decision on a request costing `cost` and the key's `tat`
 * after it (unchanged when refused).
 */
export function gcra(
  storedTat: number,
  now: number,
  cost: number,
  limitPerSecond: number,
): { decision: RateDecision; tat: number } {
  const interval = 1000 / limitPerSecond;
  const tat = Math.max(storedTat, now);
  const next = tat + cost * interval;
  // A full bucket always lets one request through, even one costing more than the burst (a big
  // batch): the key then waits its cost off before the next. So a request is allowed once it
  // fits in the burst, or once the bucket is full again, whichever comes first.
  const allowAt = tat <= now ? now : Math.min(next - BURST_MS, tat);
  if (allowAt > now) {
    return {
      decision: {
        allowed: false,
        remaining: Math.max(0, Math.floor((BURST_MS - (tat - now)) / interval)),
        resetSeconds: Math.ceil((tat - now) / 1000),
        retryAfterSeconds: Math.max(1, Math.ceil((allowAt - now) / 1000)),
      },
      tat,
    };
  }
  return {
    decision: {
      allowed: true,
      remaining: Math.max(0, Math.floor((BURST_MS - (next - now)) / interval)),
      resetSeconds: Math.ceil((next - now) / 1000),
      retryAfterSeconds: 0,
    },
    tat: next,
  };
}

/** GCRA in this process's memory: one entry per active key. */
export class MemoryRateLimiter implements RateLimiter {
  readonly #tat = new Map<string, number>();
  #lastSweep = 0;

  constructor(private readonly clock: Clock) {}

  consume(key: string, cost: number, limitPerSecond: number): RateDecision {
    const now = this.clock.now();
    this.#sweep(now);
    const { decision, tat } = gcra(this.#tat.get(key) ?? now, now, cost, limitPerSecond);
    if (decision.allowed) this.#tat.set(key, tat);
    return decision;
  }

  /** Forgets keys whose bucket is full again, at most once every 10 s. */
  #sweep(now: number): void {
    if (now - this.#lastSweep < 10_000) return;
    this.#lastSweep = now;
    for (const [key, tat] of this.#tat) if (tat <= now) this.#tat.delete(key);
  }
}
