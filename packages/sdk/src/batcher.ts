import {
  asMeasurelyError,
  clientError,
  deriveError,
  EVENT_REFUSAL_STATUS,
  MeasurelyError,
} from './errors.js';
import { type LifecycleMember, unwatch, watch } from './lifecycle.js';
import { type AbortControllerLike, type AbortSignalLike, runtime, unref } from './runtime.js';
import { abortError } from './transport.js';
import type { BatchEvent, BatchResult, CaptureResult } from './types.js';

interface Pending {
  /** Order of arrival: a flush waits for the events that arrived before it, not after. */
  readonly seq: number;
  readonly event: BatchEvent;
  /** Its timestamp is the capture time the batcher set, not one the caller gave. */
  readonly stamped: boolean;
  /** Settles (never rejects) when the event's promise does. */
  readonly settled: Promise<void>;
  readonly resolve: (result: CaptureResult) => void;
  readonly reject: (error: MeasurelyError) => void;
  /** Removes the abort listener once the event has left the queue. */
  detach?: () => void;
}

interface Chunk {
  readonly pendings: readonly Pending[];
  readonly first: number;
  readonly controller: AbortControllerLike;
  /** Settled by a flush that gave up: the request's own outcome is ignored. */
  abandoned: boolean;
}

/** How one chunk of a page leave goes out. */
export interface LeaveGroup {
  readonly count: number;
  readonly keepalive: boolean;
}

/** A batch the server answered: its per-event results and the request's `X-Request-Id`. */
export interface SentBatch {
  readonly result: BatchResult;
  readonly requestId: string | undefined;
  readonly status: number;
}

export interface BatcherOptions {
  readonly maxEvents: number;
  readonly flushIntervalMs: number;
  readonly maxQueuedEvents: number;
  readonly send: (
    events: BatchEvent[],
    options: { keepalive: boolean; signal: AbortSignalLike },
  ) => Promise<SentBatch>;
  readonly report: (error: MeasurelyError, events: readonly BatchEvent[]) => void;
  /** Splits the whole queue into requests when the page is left. */
  readonly planLeave: (events: readonly BatchEvent[]) => LeaveGroup[];
}

/**
 * Queues events and sends them in batches, one batch at a time: when `maxEvents` wait, after
 * `flushIntervalMs`, or on `flush()`. Each event's promise settles with its own result. An event
 * without a timestamp is stamped when it is queued, so a late batch does not move it in time.
 */
export class Batcher implements LifecycleMember {
  private queue: Pending[] = [];
  private readonly inFlight = new Set<Chunk>();
  private timer: unknown;
  private running: Promise<void> | undefined;
  private lastSeq = 0;
  /** Events up to this one leave without waiting for a full batch (a flush or the timer). */
  private sendUpTo = 0;
  /** Events up to this one are awaited by a flush: a failed batch fails them all at once. */
  private flushUpTo = 0;

  constructor(private readonly options: BatcherOptions) {}

  /** Queues an event; a signal that fires before its batch leaves takes it out of the queue. */
  add(given: BatchEvent, signal?: AbortSignalLike): Promise<CaptureResult> {
    // An abort is the caller's own decision: it rejects the promise but is not reported.
    if (signal?.aborted === true) return Promise.reject(abortError(signal, 'The capture'));
    const stamped = given.timestamp === undefined;
    const event = stamped ? { ...given, timestamp: Date.now() } : given;
    if (this.queue.length >= this.options.maxQueuedEvents) {
      const error = clientError(
        'QUEUE_FULL',
        `${this.queue.length} events are already waiting to be sent; is the server reachable?`,
      );
      this.options.report(error, [event]);
      return Promise.reject(error);
    }
    let resolve: (result: CaptureResult) => void = () => undefined;
    let reject: (error: MeasurelyError) => void = () => undefined;
    const promise = new Promise<CaptureResult>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    });
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    const entry: Pending = { seq: ++this.lastSeq, event, stamped, settled, resolve, reject };
    if (signal !== undefined) {
      const onAbort = (): void => {
        const index = this.queue.indexOf(entry);
        if (index === -1) return;
        this.queue.splice(index, 1);
        this.updateWatch();
        entry.reject(abortError(signal, 'The capture'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      entry.detach = () => signal.removeEventListener('abort', onAbort);
    }
    this.queue.push(entry);
    this.updateWatch();
    if (this.queue.length >= this.options.maxEvents) void this.pump();
    else this.schedule();
    return promise;
  }

  /**
   * Sends the events queued or in flight now, and resolves once each has settled; events added
   * meanwhile are not waited for. A batch that fails for a transient reason (server down) fails
   * the rest at once instead of retrying batch after batch. When `signal` fires, every event
   * still waited for fails with the signal's reason (a MeasurelyError), in flight or not.
   */
  async flush(signal?: AbortSignalLike): Promise<void> {
    const waits = [...this.queue, ...[...this.inFlight].flatMap((chunk) => chunk.pendings)].map(
      (pending) => pending.settled,
    );
    if (waits.length === 0) return;
    const target = this.lastSeq;
    this.flushUpTo = Math.max(this.flushUpTo, target);
    const onAbort = (): void => {
      if (signal !== undefined) this.abandon(target, abortError(signal, 'The flush'), true);
    };
    if (signal?.aborted === true) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    this.sendUpTo = Math.max(this.sendUpTo, target);
    void this.pump();
    try {
      await Promise.all(waits);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Node is about to exit: send what waits. */
  exit(): void {
    if (this.queue.length > 0) void this.flush();
  }

  /** The page is being left: the whole queue goes out now, in requests sent side by side. */
  leave(): void {
    if (this.queue.length === 0) return;
    const taken = this.take(this.queue.length);
    let offset = 0;
    for (const group of this.options.planLeave(taken.map((pending) => pending.event))) {
      void this.sendChunk(taken.slice(offset, offset + group.count), group.keepalive);
      offset += group.count;
    }
  }

  private take(count: number): Pending[] {
    const taken = this.queue.splice(0, count);
    this.updateWatch();
    return taken;
  }

  private updateWatch(): void {
    if (this.queue.length > 0) {
      watch(this);
    } else {
      unwatch(this);
      if (this.timer !== undefined) {
        runtime.clearTimeout(this.timer);
        this.timer = undefined;
      }
    }
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = runtime.setTimeout(() => {
      this.timer = undefined;
      this.sendUpTo = Math.max(this.sendUpTo, this.lastSeq);
      void this.pump();
    }, this.options.flushIntervalMs);
    unref(this.timer);
  }

  private due(): boolean {
    const head = this.queue[0];
    return (
      head !== undefined &&
      (head.seq <= this.sendUpTo || this.queue.length >= this.options.maxEvents)
    );
  }

  private pump(): Promise<void> {
    if (this.running !== undefined) return this.running;
    const running = this.drain().finally(() => {
      this.running = undefined;
      if (this.due()) void this.pump();
      else if (this.queue.length > 0) this.schedule();
    });
    this.running = running;
    return running;
  }

  private async drain(): Promise<void> {
    while (this.due()) {
      const failure = await this.sendChunk(this.take(this.options.maxEvents), false);
      const next = this.queue[0];
      if (failure?.retryable === true && next !== undefined && next.seq <= this.flushUpTo) {
        const skipped = deriveError(failure, {
          message: `Not sent: the batch before it failed. ${failure.message}`,
          attempts: 0,
          cause: failure,
        });
        this.abandon(this.flushUpTo, skipped, false);
      }
    }
  }

  /** Fails the events up to `upTo` with `error`: the queued ones, and those in flight if asked. */
  private abandon(upTo: number, error: MeasurelyError, inFlightToo: boolean): void {
    const dropped = this.queue.filter((pending) => pending.seq <= upTo);
    if (dropped.length > 0) {
      this.queue = this.queue.filter((pending) => pending.seq > upTo);
      this.updateWatch();
      this.fail(dropped, error);
    }
    if (!inFlightToo) return;
    for (const chunk of this.inFlight) {
      if (chunk.first > upTo || chunk.abandoned) continue;
      chunk.abandoned = true;
      this.fail(chunk.pendings, error);
      chunk.controller.abort(error);
    }
  }

  private fail(pendings: readonly Pending[], error: MeasurelyError): void {
    for (const pending of pendings) {
      pending.detach?.();
      pending.reject(error);
    }
    this.options.report(
      error,
      pendings.map((pending) => pending.event),
    );
  }

  /** Sends one chunk; resolves with the failure of the whole batch, if it failed whole. */
  private async sendChunk(
    pendings: Pending[],
    keepalive: boolean,
  ): Promise<MeasurelyError | undefined> {
    const first = pendings[0];
    if (first === undefined) return undefined;
    const chunk: Chunk = {
      pendings,
      first: first.seq,
      controller: new runtime.AbortController(),
      abandoned: false,
    };
    for (const pending of pendings) pending.detach?.();
    const events = pendings.map((pending) => pending.event);
    this.inFlight.add(chunk);
    let sent: SentBatch;
    try {
      sent = await this.options.send(events, { keepalive, signal: chunk.controller.signal });
    } catch (caught) {
      if (chunk.abandoned) return undefined;
      const error = asMeasurelyError(caught);
      this.fail(pendings, error);
      return error;
    } finally {
      this.inFlight.delete(chunk);
    }
    if (chunk.abandoned) return undefined;
    const { result, requestId } = sent;
    const replayed = result.replayed === true;
    const outcomes = new Map(result.results.map((entry) => [entry.index, entry]));
    const restamp: Pending[] = [];
    pendings.forEach((pending, index) => {
      const outcome = outcomes.get(index);
      if (outcome?.ok === true) {
        pending.resolve({ ok: true, replayed });
        return;
      }
      if (outcome === undefined) {
        this.fail(
          [pending],
          new MeasurelyError('The server returned no result for this event.', {
            kind: 'http',
            code: 'UNEXPECTED_RESPONSE',
            status: sent.status,
            requestId,
          }),
        );
        return;
      }
      if (outcome.code === 'TIMESTAMP_OUT_OF_RANGE' && pending.stamped) {
        restamp.push(pending);
        return;
      }
      // The batch answered 200: the status is the one the server gives this refusal for a
      // single event, so that code checking `status` behaves the same with and without batch.
      const status = EVENT_REFUSAL_STATUS.get(outcome.code);
      this.fail(
        [pending],
        new MeasurelyError(`${outcome.code}: ${outcome.detail}`, {
          kind: 'http',
          code: outcome.code,
          status,
          retryable: status === 429,
          requestId,
        }),
      );
    });
    if (restamp.length > 0) this.requeueWithoutTimestamp(restamp);
    return undefined;
  }

  /**
   * The server refused the capture time the batcher gave these events: this device's clock is
   * off by more than the server allows. They go again without a timestamp and get the server's
   * time, as a capture sent alone does, rather than be lost over a wrong clock.
   */
  private requeueWithoutTimestamp(pendings: readonly Pending[]): void {
    const requeued = pendings.map((pending): Pending => {
      const { timestamp: _refused, ...event } = pending.event;
      return { ...pending, event, stamped: false };
    });
    // Taken from the head of the queue, they are older than anything still in it.
    this.queue.unshift(...requeued);
    this.sendUpTo = Math.max(this.sendUpTo, ...requeued.map((pending) => pending.seq));
    this.updateWatch();
    void this.pump();
  }
}
