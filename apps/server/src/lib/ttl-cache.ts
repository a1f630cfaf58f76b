import type { Clock } from './clock.js';

/**
 * A bounded cache whose entries live `ttlMs` at most. Evictions (from an invalidation) bump a
 * generation, so a value read from the database before an eviction is not cached after it:
 * `const g = cache.generation; const v = await load(); cache.set(k, v, g)`.
 * The TTL bounds how long a change made elsewhere (the CLI, another node) can go unseen.
 */
export class TtlCache<K, V> {
  readonly #entries = new Map<K, { value: V; expiresAt: number }>();
  #generation = 0;

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  get generation(): number {
    return this.#generation;
  }

  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.clock.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Caches a value, unless an eviction happened since `generation` was read. */
  set(key: K, value: V, generation: number): void {
    if (generation !== this.#generation) return;
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expiresAt: this.clock.now() + this.ttlMs });
  }

  /** Evicts every entry whose value matches. */
  evictWhere(matches: (value: V, key: K) => boolean): void {
    this.#generation += 1;
    for (const [key, entry] of this.#entries)
      if (matches(entry.value, key)) this.#entries.delete(key);
  }
}

/** How long cached keys, metrics and limits may lag a change made by another process. */
export const SHARED_CACHE_TTL_MS = 2_000;
