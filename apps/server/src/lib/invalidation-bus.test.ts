import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_URL, redisPrefix } from '../test/harness.js';
import { MemoryInvalidationBus, RedisInvalidationBus } from './invalidation-bus.js';
import { RedisLink } from './redis-link.js';

const links: RedisLink[] = [];
afterAll(async () => {
  await Promise.all(links.map((link) => link.close()));
});

async function redisBus(prefix: string): Promise<RedisInvalidationBus> {
  const link = await RedisLink.open({ url: REDIS_URL ?? '', prefix }, { error: () => undefined });
  links.push(link);
  return RedisInvalidationBus.open(link);
}

/** Resolves once `check` holds, or fails after a second. */
async function eventually(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 1_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('not within a second');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('MemoryInvalidationBus', () => {
  it('calls the topic listeners before publish() resolves', async () => {
    const bus = new MemoryInvalidationBus();
    const heard: string[] = [];
    bus.subscribe('api-key', (key) => heard.push(`key ${key}`));
    bus.subscribe('metric', (key) => heard.push(`metric ${key}`));
    await bus.publish('api-key', 'k1');
    expect(heard).toEqual(['key k1']);
  });
});

describe.skipIf(REDIS_URL === undefined)('RedisInvalidationBus', () => {
  it("calls this process's listeners at once and the other processes' when Redis delivers", async () => {
    const prefix = redisPrefix();
    const [a, b] = await Promise.all([redisBus(prefix), redisBus(prefix)]);
    const other = await redisBus(redisPrefix());
    const heard: string[] = [];
    a.subscribe('api-key', (key) => heard.push(`a ${key}`));
    b.subscribe('api-key', (key) => heard.push(`b ${key}`));
    b.subscribe('metric', (key) => heard.push(`b metric ${key}`));
    other.subscribe('api-key', (key) => heard.push(`other deployment ${key}`));
    await a.publish('api-key', 'k1');
    expect(heard).toEqual(['a k1']);
    await eventually(() => heard.length === 2);
    expect(heard).toEqual(['a k1', 'b k1']);
    await b.publish('metric', 'm1');
    await eventually(() => heard.length === 3);
    // Neither a process's own message comes back to it, nor another deployment's reaches it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(heard).toEqual(['a k1', 'b k1', 'b metric m1']);
  });
});
