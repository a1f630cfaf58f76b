import { AppError } from '../../errors.js';
import type { PendingRequest, RequestOutcome } from './ingest.repo.js';

/** Most events written by one transaction; a request is never split across two. */
const MAX_EVENTS_PER_FLUSH = 20_000;
/** Turns of the event loop a commit waits at most for requests still coming in (#schedule). */
const MAX_GATHER_TURNS = 8;
/** Most events waiting for a commit; past it, new requests are turned away (503) at once. */
const MAX_QUEUED_EVENTS = 200_000;

/** Where a result goes once it is known: a promise's two functions, or any callbacks. */
export interface Settle<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

interface Waiting extends Settle<RequestOutcome> {
  readonly request: PendingRequest;
}

/**
 * Group commit: requests wait for the transaction that holds their events, and one transaction
 * serves every request that arrived while the previous one was committing, and those still
 * coming in over the next turns of the event loop. There is no timer: under light load a request
 * commits at once; under heavy load commits grow, not queues.
 *
 * `durable` (optional) makes everything committed before its call durable, for a store that
 * commits without waiting for the disk: it returns undefined once it has (synced on this thread),
 * or a promise of it, and a group's requests are answered only after. The next group commits once
 * the previous one is on disk: what arrives during a sync joins one commit, instead of a commit
 * per turn of the event loop (each costs its fixed statements — totals, usage, rollups — and a
 * sync). Parsing goes on during a sync on another thread.
 */
export class GroupCommitter {
  #queue: Waiting[] = [];
  #queuedEvents = 0;
  #flushing: Promise<void> | undefined;
  #scheduled = false;
  readonly #syncing = new Set<Promise<void>>();

  /**
   * `write` commits a group: it may return the outcomes at once (SQLite commits synchronously),
   * and the group's requests are then answered in the same turn of the event loop.
   */
  constructor(
    private readonly write: (
      requests: readonly PendingRequest[],
    ) => RequestOutcome[] | Promise<RequestOutcome[]>,
    private readonly durable?: () => Promise<void> | undefined,
  ) {}

  /** Resolves once the request's events are committed (or rejected by a rule), never before. */
  submit(request: PendingRequest): Promise<RequestOutcome> {
    return new Promise((resolve, reject) => this.enqueue(request, { resolve, reject }));
  }

  /**
   * submit() with callbacks: `resolve` is called with the outcome as soon as the request's group
   * is committed (and durable), in the same turn, or `reject` with the error; `reject` is called
   * at once if too many events are waiting. An exception thrown by a callback is thrown again
   * once every request of the group has been told.
   */
  enqueue(request: PendingRequest, settle: Settle<RequestOutcome>): void {
    if (this.#queuedEvents + request.events.length > MAX_QUEUED_EVENTS) {
      settle.reject(
        new AppError('OVERLOADED', 'Too many events are waiting to be stored; retry shortly.', {
          headers: { 'retry-after': '1' },
        }),
      );
      return;
    }
    this.#queuedEvents += request.events.length;
    this.#queue.push({ request, resolve: settle.resolve, reject: settle.reject });
    this.#schedule();
  }

  /** Waits until everything submitted so far is committed and answered. */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#flushing !== undefined || this.#syncing.size > 0) {
      await (this.#flushing ?? (this.#queue.length > 0 ? this.#runFlush() : this.#settled()));
    }
  }

  async #settled(): Promise<void> {
    await Promise.all(this.#syncing);
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing !== undefined || this.#syncing.size > 0) return;
    this.#scheduled = true;
    // Every request already parsed in this turn of the event loop joins the transaction, and so
    // do those of the next turns, as long as each turn brings more: under load, the requests
    // answered by the last commit come back over a few turns, and one commit then serves them
    // all instead of a commit each for the first few. A turn that brings none (always so under
    // light load, where this adds nothing) or MAX_GATHER_TURNS turns end the wait.
    let seen = this.#queue.length;
    let turns = 0;
    const gather = (): void => {
      turns += 1;
      const queued = this.#queue.length;
      if (queued > seen && turns < MAX_GATHER_TURNS && this.#queuedEvents < MAX_EVENTS_PER_FLUSH) {
        seen = queued;
        setImmediate(gather);
        return;
      }
      this.#scheduled = false;
      void this.#runFlush();
    };
    setImmediate(gather);
  }

  #runFlush(): Promise<void> {
    if (this.#flushing !== undefined) return this.#flushing;
    this.#flushing = this.#flush().finally(() => {
      this.#flushing = undefined;
      if (this.#queue.length > 0) this.#schedule();
    });
    return this.#flushing;
  }

  async #flush(): Promise<void> {
    let events = 0;
    let take = 0;
    while (take < this.#queue.length) {
      const size = this.#queue[take]?.request.events.length ?? 0;
      if (take > 0 && events + size > MAX_EVENTS_PER_FLUSH) break;
      events += size;
      take += 1;
    }
    const batch = this.#queue.splice(0, take);
    if (batch.length === 0) return;
    this.#queuedEvents -= events;
    await this.#commit(batch);
  }

  /**
   * Commits a group; if it fails, commits its halves apart, so one request that cannot be stored
   * fails alone (with 500) and the others are still stored. Each request's 500 is logged with its
   * request id and this cause, so nothing is logged here.
   */
  async #commit(batch: readonly Waiting[]): Promise<void> {
    let outcomes: RequestOutcome[];
    try {
      const written = this.write(batch.map((w) => w.request));
      outcomes = written instanceof Promise ? await written : written;
    } catch (error) {
      if (batch.length === 1) {
        tell(batch, (waiting) => waiting.reject(error));
        return;
      }
      const middle = Math.ceil(batch.length / 2);
      await this.#commit(batch.slice(0, middle));
      await this.#commit(batch.slice(middle));
      return;
    }
    const answer = (): void => {
      tell(batch, (waiting, i) => {
        const outcome = outcomes[i];
        if (outcome === undefined) waiting.reject(new Error('writer lost a request'));
        else waiting.resolve(outcome);
      });
    };
    const fail = (error: unknown): void => {
      tell(batch, (waiting) => waiting.reject(error));
    };
    let syncing: Promise<void> | undefined;
    try {
      syncing = this.durable?.();
    } catch (error) {
      fail(error);
      return;
    }
    if (syncing === undefined) {
      answer();
      return;
    }
    // Not awaited: requests go on being parsed while this group reaches the disk.
    const settling = syncing.then(answer, fail);
    this.#syncing.add(settling);
    void settling.finally(() => {
      this.#syncing.delete(settling);
      if (this.#queue.length > 0) this.#schedule();
    });
  }
}

/**
 * Tells every waiting request its result. A callback that throws (a bug) does not keep the others
 * from being told: its exception is thrown again afterwards, as an uncaught one.
 */
function tell(batch: readonly Waiting[], each: (waiting: Waiting, index: number) => void): void {
  batch.forEach((waiting, i) => {
    try {
      each(waiting, i);
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  });
}
