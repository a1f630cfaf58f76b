import type { Clock } from './clock.js';

export interface WindowCount {
  readonly count: number;
  /** Epoch ms at which the window ends and the count starts again from zero. */
  readonly resetAt: number;
}

/**
 * Fixed-window counters shared by whoever needs to count attempts (sign-in throttling).
 * The memory store serves one node; a shared store can replace it for many.
 */
export interface CounterStore {
  get(key: string): Promise<WindowCount>;
  increment(key: string, windowMs: number): Promise<WindowCount>;
  reset(key: string): Promise<void>;
}

export class MemoryCounterStore implements CounterStore {
  readonly #windows = new Map<string, { count: number; resetAt: number }>();
  #lastSweep = 0;

  constructor(private readonly clock: Clock) {}

  async get(key: string): Promise<WindowCount> {
    const now = this.clock.now();
    const window = this.#windows.get(key);
    return window !== undefined && window.resetAt > now
      ? { ...window }
      : { count: 0, resetAt: now };
  }

  async increment(key: string, windowMs: number): Promise<WindowCount> {
    const now = this.clock.now();
    this.#sweep(now);
    let window = this.#windows.get(key);
    if (window === undefined || window.resetAt <= now) {
      window = { count: 0, resetAt: now + windowMs };
      this.#windows.set(key, window);
    }
    window.count += 1;
    return { ...window };
  }

  async reset(key: string): Promise<void> {
    this.#windows.delete(key);
  }

  /** Drops expired windows at most once a minute, so memory stays bounded by active keys. */
  #sweep(now: number): void {
    if (now - this.#lastSweep < 60_000) return;
    this.#lastSweep = now;
    for (const [key, window] of this.#windows) if (window.resetAt <= now) this.#windows.delete(key);
  }
}
