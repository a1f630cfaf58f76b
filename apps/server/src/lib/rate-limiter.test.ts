import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_URL, redisPrefix, TestClock } from '../test/harness.js';
import type { Clock } from './clock.js';
import { MemoryRateLimiter, type RateLimiter } from './rate-limiter.js';
import { RedisLink } from './redis-link.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';

const links: RedisLink[] = [];
afterAll(async () => {
  await Promise.all(links.map((link) => link.close()));
});

const silent = { error: () => undefined };

/** The limiters that must decide alike: in memory, and (when REDIS_URL is set) in Redis. */
const LIMITERS: Array<[string, (clock: Clock) => Promise<RateLimiter>]> = [
  ['memory', async (clock) => new MemoryRateLimiter(clock)],
  ...(REDIS_URL === undefined
    ? []
    : [
        [
          'Redis',
          async (clock: Clock) => {
            const link = await RedisLink.open(
              { url: REDIS_URL ?? '', prefix: redisPrefix() },
              silent,
            );
            links.push(link);
            return new RedisRateLimiter(link, clock, 'key');
          },
        ] as [string, (clock: Clock) => Promise<RateLimiter>],
      ]),
];

describe.each(LIMITERS)('%s rate limiter (GCRA)', (_name, create) => {
  it('allows a burst of one second, then one unit per interval', async () => {
    const clock = new TestClock();
    const limiter = await create(clock);
    for (let i = 0; i < 10; i++) expect((await limiter.consume('k', 1, 10)).allowed).toBe(true);
    const refused = await limiter.consume('k', 1, 10);
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 1 });
    clock.advance(100);
    expect(await limiter.consume('k', 1, 10)).toMatchObject({ allowed: true, remaining: 0 });
    expect((await limiter.consume('k', 1, 10)).allowed).toBe(false);
  });

  it('counts remaining units and keeps keys apart', async () => {
    const limiter = await create(new TestClock());
    expect((await limiter.consume('a', 3, 10)).remaining).toBe(7);
    expect((await limiter.consume('b', 1, 10)).remaining).toBe(9);
  });

  it('lets a full bucket take a request costing more than the burst, then waits it off', async () => {
    const clock = new TestClock();
    const limiter = await create(clock);
    expect((await limiter.consume('k', 1000, 100)).allowed).toBe(true);
    const after = await limiter.consume('k', 1, 100);
    expect(after.allowed).toBe(false);
    expect(after.retryAfterSeconds).toBe(10);
    clock.advance(9_010);
    expect((await limiter.consume('k', 1, 100)).allowed).toBe(true);
  });

  it('tells a request costing more than the burst to retry once the bucket is full again', async () => {
    const clock = new TestClock();
    const limiter = await create(clock);
    // 20 units at 5 a second: the full bucket takes them, and is full again after 4 s.
    expect((await limiter.consume('k', 20, 5)).allowed).toBe(true);
    const refused = await limiter.consume('k', 20, 5);
    expect(refused).toMatchObject({ allowed: false, retryAfterSeconds: 4, resetSeconds: 4 });
    clock.advance(3_999);
    expect((await limiter.consume('k', 20, 5)).allowed).toBe(false);
    clock.advance(1);
    expect((await limiter.consume('k', 20, 5)).allowed).toBe(true);
  });

  it('keeps to a fractional interval over many requests (3 a second)', async () => {
    const clock = new TestClock();
    const limiter = await create(clock);
    let allowed = 0;
    // Ten seconds, a request every 10 ms: the burst of 3, then one every 333⅓ ms (the same
    // count in Redis, where the state travels as text: it must round-trip exactly).
    for (let t = 0; t < 10_000; t += 10) {
      if ((await limiter.consume('k', 1, 3)).allowed) allowed += 1;
      clock.advance(10);
    }
    expect(allowed).toBe(32);
  });
});

describe.skipIf(REDIS_URL === undefined)('Redis rate limiter shared by several processes', () => {
  it('gives a key its limit once across the processes, not once each', async () => {
    const url = REDIS_URL ?? '';
    const prefix = redisPrefix();
    const clock = new TestClock();
    const [a, b] = await Promise.all([
      RedisLink.open({ url, prefix }, silent),
      RedisLink.open({ url, prefix }, silent),
    ]);
    links.push(a, b);
    const first = new RedisRateLimiter(a, clock, 'key');
    const second = new RedisRateLimiter(b, clock, 'key');
    const decisions = [];
    for (let i = 0; i < 10; i++) {
      decisions.push((await (i % 2 === 0 ? first : second).consume('k', 1, 4)).allowed);
    }
    expect(decisions).toEqual([true, true, true, true, false, false, false, false, false, false]);
    // Another namespace, or another prefix (another deployment), is another bucket.
    expect((await new RedisRateLimiter(b, clock, 'ip').consume('k', 1, 4)).allowed).toBe(true);
    const other = await RedisLink.open({ url, prefix: redisPrefix() }, silent);
    links.push(other);
    expect((await new RedisRateLimiter(other, clock, 'key').consume('k', 1, 4)).allowed).toBe(true);
  });

  it('limits on its own process while Redis cannot be reached, and logs it once', async () => {
    const errors: string[] = [];
    const link = await RedisLink.open(
      { url: REDIS_URL ?? '', prefix: redisPrefix() },
      { error: (_details, message) => errors.push(message) },
    );
    links.push(link);
    const limiter = new RedisRateLimiter(link, new TestClock(), 'key');
    link.command.disconnect();
    expect(await link.ping()).toBe(false);
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push((await limiter.consume('k', 1, 3)).allowed);
    expect(decisions).toEqual([true, true, true, false]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/rate-limit check; this node uses its own state/);
  });
});
