import { describe, expect, it } from 'vitest';
import { TestClock } from '../test/harness.js';
import { TtlCache } from './ttl-cache.js';

describe('TtlCache', () => {
  it('forgets entries after their time to live', () => {
    const clock = new TestClock();
    const cache = new TtlCache<string, number>(clock, 1000, 10);
    cache.set('a', 1, cache.generation);
    clock.advance(999);
    expect(cache.get('a')).toBe(1);
    clock.advance(1);
    expect(cache.get('a')).toBeUndefined();
  });

  it('does not cache a value read before an eviction', () => {
    const cache = new TtlCache<string, number>(new TestClock(), 1000, 10);
    const generation = cache.generation;
    cache.evictWhere((v) => v === 1);
    cache.set('a', 1, generation);
    expect(cache.get('a')).toBeUndefined();
  });

  it('evicts by value and stays within its bound', () => {
    const cache = new TtlCache<string, { project: string }>(new TestClock(), 1000, 2);
    cache.set('a', { project: 'p' }, cache.generation);
    cache.set('b', { project: 'q' }, cache.generation);
    cache.set('c', { project: 'p' }, cache.generation);
    expect(cache.get('a')).toBeUndefined();
    cache.evictWhere((v) => v.project === 'p');
    expect(cache.get('c')).toBeUndefined();
    expect(cache.get('b')).toEqual({ project: 'q' });
  });
});
