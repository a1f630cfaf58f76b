import { performance } from 'node:perf_hooks';

/** A commit (its statements and its sync) slower than this, in ms, counts as slow. */
export const SLOW_COMMIT_MS = 2;
/** How long (ms) commits leave the disk wait to the thread pool once they are slow. */
export const BACKGROUND_MS = 5_000;
/** How many of the last inline commits the decision looks at (their median). */
const RECENT = 5;

/**
 * Where the event writer waits for the disk. On a disk that syncs in a fraction of a millisecond,
 * a commit that waits inside SQLite (`synchronous = FULL`) on the HTTP thread costs less than
 * handing the sync to the thread pool and the answer back (measured on two busy cores:
 * docs/decisions/0011-durable-commits-off-the-event-loop.md). A slow commit — a slow disk, or a
 * big group — would stall every other request as long: once the median of the last RECENT
 * inline commits is slow (one slow commit is a busy machine's hiccup, not a slow disk), commits
 * defer their sync to the thread pool (storage/wal-sync.ts) for `backgroundMs`, and are then
 * tried inline again.
 */
export class CommitSyncPolicy {
  #backgroundUntil = Number.NEGATIVE_INFINITY;
  /** Durations of the last inline commits, oldest first. */
  readonly #recent: number[] = [];
  readonly #slowMs: number;
  readonly #backgroundMs: number;
  readonly #now: () => number;

  constructor(
    options: {
      readonly slowMs?: number;
      readonly backgroundMs?: number;
      /** A monotonic clock in ms; for tests. */
      readonly now?: () => number;
    } = {},
  ) {
    this.#slowMs = options.slowMs ?? SLOW_COMMIT_MS;
    this.#backgroundMs = options.backgroundMs ?? BACKGROUND_MS;
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * Runs a commit: `inline(true)` waits for the disk inside the commit, `inline(false)` leaves
   * the sync to the caller. Returns what the commit returns, and whether it still needs a sync.
   */
  run<T>(commit: (inline: boolean) => T): { readonly result: T; readonly unsynced: boolean } {
    const started = this.#now();
    if (started < this.#backgroundUntil) return { result: commit(false), unsynced: true };
    const result = commit(true);
    const finished = this.#now();
    const recent = this.#recent;
    recent.push(finished - started);
    if (recent.length > RECENT) recent.shift();
    if (recent.length === RECENT && median(recent) > this.#slowMs) {
      this.#backgroundUntil = finished + this.#backgroundMs;
      recent.length = 0;
    }
    return { result, unsynced: false };
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
