import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { REDIS_URL, redisPrefix, TestClock } from '../test/harness.js';
import { systemClock } from './clock.js';
import { RedisCounterStore } from './redis-counter-store.js';
import { RedisLink } from './redis-link.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';

const links: RedisLink[] = [];
const relays: Relay[] = [];
afterEach(() => {
  vi.useRealTimers();
});
afterAll(async () => {
  await Promise.all(links.map((link) => link.close()));
  for (const relay of relays) relay.close();
});

const silent = { error: () => undefined };

async function open(url: string, prefix = redisPrefix()): Promise<RedisLink> {
  const link = await RedisLink.open({ url, prefix }, silent);
  links.push(link);
  return link;
}

/** Resolves once `check` holds, or fails after `timeoutMs`. */
async function eventually(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now();
  const result = await run();
  return { result, ms: performance.now() - start };
}

interface Relay {
  readonly url: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Bytes the clients sent while the relay was stalled. */
  readonly heldBytes: number;
  /** Stops answering, keeping the connections open; connections accepted now never answer. */
  stall(): void;
  /** Delivers what was held, both ways, and answers again (except on dead connections). */
  resume(): void;
  /** Closes the clients' connections (they reconnect). */
  drop(): void;
  close(): void;
}

/** A TCP relay in front of Redis that can stall: accept and hold, but never answer. */
async function startRelay(target: string): Promise<Relay> {
  const { hostname, port } = new URL(target);
  let stalled = false;
  let accepted = 0;
  let heldBytes = 0;
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket; flush: () => void }>();
  const server = net.createServer((client) => {
    accepted++;
    const dead = stalled;
    const upstream = net.connect(Number(port || 6379), hostname);
    const held: Array<[net.Socket, Buffer]> = [];
    const forward = (to: net.Socket) => (chunk: Buffer) => {
      if (to === upstream && stalled) heldBytes += chunk.length;
      if (dead) return;
      if (stalled) held.push([to, chunk]);
      else to.write(chunk);
    };
    client.on('data', forward(upstream));
    upstream.on('data', forward(client));
    const pair = {
      client,
      upstream,
      flush: () => {
        for (const [to, chunk] of held.splice(0)) to.write(chunk);
      },
    };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  const relay: Relay = {
    url: `redis://127.0.0.1:${address.port}`,
    get accepted() {
      return accepted;
    },
    get heldBytes() {
      return heldBytes;
    },
    stall: () => {
      stalled = true;
    },
    resume: () => {
      stalled = false;
      for (const pair of pairs) pair.flush();
    },
    drop: () => {
      for (const pair of pairs) pair.client.destroy();
    },
    close: () => {
      relay.drop();
      server.close();
    },
  };
  relays.push(relay);
  return relay;
}

describe('RedisLink when Redis cannot be reached at start-up', () => {
  it('says why', async () => {
    await expect(
      RedisLink.open({ url: 'redis://127.0.0.1:1', prefix: redisPrefix() }, silent),
    ).rejects.toThrow(
      /^Redis at REDIS_URL cannot be reached: connect ECONNREFUSED 127\.0\.0\.1:1$/,
    );
  });
});

describe.skipIf(REDIS_URL === undefined)('RedisLink when Redis stops answering', () => {
  const url = REDIS_URL ?? '';

  it('falls back at once, without asking Redis, for a while after a command timed out', async () => {
    const relay = await startRelay(url);
    const prefix = redisPrefix();
    const link = await open(relay.url, prefix);
    const direct = await open(url, prefix);
    const limiter = new RedisRateLimiter(link, new TestClock(), 'key');
    const counters = new RedisCounterStore(link, systemClock);
    expect((await limiter.consume('k', 1, 3)).allowed).toBe(true);

    relay.stall();
    const first = await timed(() => limiter.consume('k', 1, 3));
    expect(first.result.allowed).toBe(true);
    expect(first.ms).toBeGreaterThanOrEqual(900);
    const held = relay.heldBytes;
    expect(held).toBeGreaterThan(0);
    const next = await timed(async () => {
      const decisions = [];
      for (let i = 0; i < 3; i++) decisions.push((await limiter.consume('k', 1, 3)).allowed);
      const counted = [];
      for (let i = 0; i < 5; i++) counted.push((await counters.increment('ada', 60_000)).count);
      return { decisions, counted };
    });
    // The memory fallback: its own limit (3 a second) and its own counts.
    expect(next.result).toEqual({ decisions: [true, true, false], counted: [1, 2, 3, 4, 5] });
    expect(next.ms).toBeLessThan(500);
    expect(relay.heldBytes).toBe(held);

    // Once the breaker's period is over, the next command asks Redis again, and its answer
    // closes the breaker.
    relay.resume();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 6_000);
    expect((await counters.increment('grace', 60_000)).count).toBe(1);
    expect(await direct.command.get(`${prefix}count:grace`)).toBe('1');
    expect((await counters.increment('grace', 60_000)).count).toBe(2);
    expect(await direct.command.get(`${prefix}count:grace`)).toBe('2');
  });

  it('tries Redis once after the period, and reconnects a command connection that stays silent', async () => {
    const relay = await startRelay(url);
    const prefix = redisPrefix();
    const link = await open(relay.url, prefix);
    const direct = await open(url, prefix);
    const counters = new RedisCounterStore(link, systemClock);
    relay.stall();
    expect((await counters.increment('a', 60_000)).count).toBe(1);

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 6_000);
    const accepted = relay.accepted;
    const held = relay.heldBytes;
    // One probe at a time: the others fall back at once while it waits.
    const [probe, ...others] = await Promise.all([
      timed(() => counters.increment('a', 60_000)),
      timed(() => counters.increment('a', 60_000)),
      timed(() => counters.increment('a', 60_000)),
    ]);
    expect(probe.ms).toBeGreaterThanOrEqual(900);
    expect(others.map((other) => other.ms < 500)).toEqual([true, true]);
    expect(relay.heldBytes).toBeGreaterThan(held);
    // The stuck connection is replaced: a new one is opened through the relay.
    await eventually(() => relay.accepted > accepted);

    relay.resume();
    await eventually(() => link.command.status === 'ready', 5_000);
    vi.setSystemTime(Date.now() + 6_000);
    expect((await counters.increment('b', 60_000)).count).toBe(1);
    expect(await direct.command.get(`${prefix}count:b`)).toBe('1');
  });

  it('reconnects a subscriber whose reconnection was never answered, and reports it meanwhile', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const relay = await startRelay(url);
    const prefix = redisPrefix();
    const link = await open(relay.url, prefix);
    const direct = await open(url, prefix);
    const heard: unknown[] = [];
    await link.listen('news', (payload) => heard.push(payload));
    await direct.publish('news', 1);
    await eventually(() => heard.length === 1);

    // Both connections reconnect to a relay that accepts them but never answers on them.
    const accepted = relay.accepted;
    relay.stall();
    relay.drop();
    await eventually(() => relay.accepted >= accepted + 2);
    relay.resume();
    // The command connection gives up its handshake after the command timeout and reconnects.
    await eventually(() => link.command.status === 'ready', 5_000);
    await direct.publish('news', 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(heard).toEqual([1]);
    const health = await timed(() => link.ping());
    expect(health.result).toBe(false);
    expect(health.ms).toBeLessThan(2_500);

    vi.advanceTimersByTime(15_000);
    await expect.poll(() => link.ping(), { timeout: 5_000, interval: 50 }).toBe(true);
    await direct.publish('news', 3);
    await eventually(() => heard.includes(3));
  });

  it('closes within a couple of seconds when Redis does not answer', async () => {
    const relay = await startRelay(url);
    const link = await RedisLink.open({ url: relay.url, prefix: redisPrefix() }, silent);
    await link.listen('news', () => undefined);
    relay.stall();
    const closing = await timed(() => link.close());
    expect(closing.ms).toBeLessThan(2_500);
  });
});
