import { describe, expect, it } from 'vitest';
import { TestClock } from '../test/harness.js';
import { MemoryRateLimiter } from './rate-limiter.js';

describe('MemoryRateLimiter (GCRA)', () => {
  it('allows a burst of one second, then one unit per interval', () => {
    const clock = new TestClock();
    const limiter = new MemoryRateLimiter(clock);
    for (let i = 0; i < 10; i++) expect(limiter.consume('k', 1, 10).allowed).toBe(true);
    const refused = limiter.consume('k', 1, 10);
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 1 });
    clock.advance(100);
    expect(limiter.consume('k', 1, 10)).toMatchObject({ allowed: true, remaining: 0 });
    expect(limiter.consume('k', 1, 10).allowed).toBe(false);
  });

  it('counts remaining units and keeps keys apart', () => {
    const limiter = new MemoryRateLimiter(new TestClock());
    expect(limiter.consume('a', 3, 10).remaining).toBe(7);
    expect(limiter.consume('b', 1, 10).remaining).toBe(9);
  });

  it('lets a full bucket take a request costing more than the burst, then waits it off', () => {
    const clock = new TestClock();
    const limiter = new MemoryRateLimiter(clock);
    expect(limiter.consume('k', 1000, 100).allowed).toBe(true);
    const after = limiter.consume('k', 1, 100);
    expect(after.allowed).toBe(false);
    expect(after.retryAfterSeconds).toBe(10);
    clock.advance(9_010);
    expect(limiter.consume('k', 1, 100).allowed).toBe(true);
  });

  it('tells a request costing more than the burst to retry once the bucket is full again', () => {
    const clock = new TestClock();
    const limiter = new MemoryRateLimiter(clock);
    // 20 units at 5 a second: the full bucket takes them, and is full again after 4 s.
    expect(limiter.consume('k', 20, 5).allowed).toBe(true);
    const refused = limiter.consume('k', 20, 5);
    expect(refused).toMatchObject({ allowed: false, retryAfterSeconds: 4, resetSeconds: 4 });
    clock.advance(3_999);
    expect(limiter.consume('k', 20, 5).allowed).toBe(false);
    clock.advance(1);
    expect(limiter.consume('k', 20, 5).allowed).toBe(true);
  });
});
