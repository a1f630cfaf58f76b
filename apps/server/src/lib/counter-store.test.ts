import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_URL, redisPrefix } from '../test/harness.js';
import { systemClock } from './clock.js';
import { type CounterStore, MemoryCounterStore } from './counter-store.js';
import { RedisCounterStore } from './redis-counter-store.js';
import { RedisLink } from './redis-link.js';

const links: RedisLink[] = [];
afterAll(async () => {
  await Promise.all(links.map((link) => link.close()));
});

const silent = { error: () => undefined };

async function redisLink(prefix = redisPrefix()): Promise<RedisLink> {
  const link = await RedisLink.open({ url: REDIS_URL ?? '', prefix }, silent);
  links.push(link);
  return link;
}

const STORES: Array<[string, () => Promise<CounterStore>]> = [
  ['memory', async () => new MemoryCounterStore(systemClock)],
  ...(REDIS_URL === undefined
    ? []
    : [
        ['Redis', async () => new RedisCounterStore(await redisLink(), systemClock)] as [
          string,
          () => Promise<CounterStore>,
        ],
      ]),
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(STORES)('%s counter store (fixed windows)', (_name, create) => {
  it('counts within a window and starts again once it ends', async () => {
    const store = await create();
    const start = Date.now();
    expect((await store.get('a')).count).toBe(0);
    expect((await store.increment('a', 300)).count).toBe(1);
    const second = await store.increment('a', 300);
    expect(second.count).toBe(2);
    expect(second.resetAt).toBeGreaterThan(start);
    expect(second.resetAt).toBeLessThanOrEqual(Date.now() + 300);
    expect(await store.get('a')).toMatchObject({ count: 2 });
    expect((await store.get('b')).count).toBe(0);
    await sleep(350);
    expect((await store.get('a')).count).toBe(0);
    expect((await store.increment('a', 300)).count).toBe(1);
  });

  it('forgets a key on reset', async () => {
    const store = await create();
    await store.increment('a', 60_000);
    await store.increment('a', 60_000);
    await store.reset('a');
    expect((await store.get('a')).count).toBe(0);
    expect((await store.increment('a', 60_000)).count).toBe(1);
  });
});

describe.skipIf(REDIS_URL === undefined)('Redis counter store', () => {
  it('counts once across the processes sharing it', async () => {
    const prefix = redisPrefix();
    const first = new RedisCounterStore(await redisLink(prefix), systemClock);
    const second = new RedisCounterStore(await redisLink(prefix), systemClock);
    await first.increment('login:ada', 60_000);
    await second.increment('login:ada', 60_000);
    expect((await first.increment('login:ada', 60_000)).count).toBe(3);
    await second.reset('login:ada');
    expect((await first.get('login:ada')).count).toBe(0);
  });

  it('counts on its own process while Redis cannot be reached', async () => {
    const link = await redisLink();
    const store = new RedisCounterStore(link, systemClock);
    link.command.disconnect();
    expect((await store.increment('a', 60_000)).count).toBe(1);
    expect((await store.increment('a', 60_000)).count).toBe(2);
    expect((await store.get('a')).count).toBe(2);
  });
});
