import type { Clock } from './clock.js';
import { type CounterStore, MemoryCounterStore, type WindowCount } from './counter-store.js';
import type { RedisLink } from './redis-link.js';

/** Adds one to the window's count, starting the window (its expiry) with the first. */
const INCREMENT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}
`;

interface IncrementCommand {
  measurelyIncrement(key: string, windowMs: string): Promise<[number, number]>;
}

/**
 * Fixed-window counters that several server processes share (the sign-in throttle): a counter
 * is a Redis key that expires with its window. While Redis cannot be reached or does not answer
 * (RedisLink.run), each process counts on its own.
 */
export class RedisCounterStore implements CounterStore {
  readonly #link: RedisLink;
  readonly #clock: Clock;
  readonly #prefix: string;
  readonly #fallback: MemoryCounterStore;

  constructor(link: RedisLink, clock: Clock) {
    this.#link = link;
    this.#clock = clock;
    this.#prefix = `${link.prefix}count:`;
    this.#fallback = new MemoryCounterStore(clock);
    if (!('measurelyIncrement' in link.command)) {
      link.command.defineCommand('measurelyIncrement', { numberOfKeys: 1, lua: INCREMENT_SCRIPT });
    }
  }

  async get(key: string): Promise<WindowCount> {
    return this.#link.run(
      'did not answer a counter read',
      async (redis) => {
        const [[, count], [, ttl]] = (await redis
          .multi()
          .get(`${this.#prefix}${key}`)
          .pttl(`${this.#prefix}${key}`)
          .exec()) as [[null, string | null], [null, number]];
        return this.#window(count === null ? 0 : Number(count), ttl);
      },
      () => this.#fallback.get(key),
    );
  }

  async increment(key: string, windowMs: number): Promise<WindowCount> {
    return this.#link.run(
      'did not answer a counter increment',
      async (redis) => {
        const [count, ttl] = await (redis as unknown as IncrementCommand).measurelyIncrement(
          `${this.#prefix}${key}`,
          String(windowMs),
        );
        return this.#window(count, ttl);
      },
      () => this.#fallback.increment(key, windowMs),
    );
  }

  async reset(key: string): Promise<void> {
    await this.#fallback.reset(key);
    await this.#link.run(
      'did not answer a counter reset',
      async (redis) => {
        await redis.del(`${this.#prefix}${key}`);
      },
      () => undefined,
    );
  }

  /** A count and the time left in its window (PTTL: negative when there is no such key). */
  #window(count: number, ttlMs: number): WindowCount {
    const now = this.#clock.now();
    return ttlMs > 0 ? { count, resetAt: now + ttlMs } : { count: 0, resetAt: now };
  }
}
