import { performance } from 'node:perf_hooks';
import type { Writable } from 'node:stream';
import { AppError } from '../../errors.js';
import { OPERATOR } from '../../lib/actor.js';
import type { Logger } from '../../lib/logger.js';
import type { Services } from '../../services.js';
import type { Metric } from '../metrics/metrics.schemas.js';

/** Where a subscriber's frames go: the raw HTTP response in production. */
export type LiveStream = Pick<
  Writable,
  'write' | 'end' | 'destroy' | 'once' | 'off' | 'writableLength' | 'destroyed'
>;

export interface LiveHubOptions {
  /** Between two `: ping` comments on a stream, so proxies and clients see it alive. */
  readonly heartbeatMs?: number;
  /** Least time between two `metrics` messages of a project. */
  readonly coalesceMs?: number;
  /** A stream holding more unsent bytes than this is dropped: the client is too slow. */
  readonly maxBufferedBytes?: number;
  /**
   * A stream is ended after this long; the client reconnects by itself and its access is checked
   * again, so a revoked key or a removed member stops receiving within this bound.
   */
  readonly maxStreamMs?: number;
}

/** How long a disconnected EventSource waits before reconnecting. */
export const RETRY_MS = 3_000;
const DEFAULTS = {
  heartbeatMs: 15_000,
  coalesceMs: 250,
  maxBufferedBytes: 64 * 1024,
  maxStreamMs: 5 * 60_000,
} as const;
/** Past this many changed metrics in a window, one listing is cheaper than a read per metric. */
const LIST_THRESHOLD = 16;

interface Subscriber {
  readonly stream: LiveStream;
  readonly heartbeat: NodeJS.Timeout;
  readonly expiry: NodeJS.Timeout;
  readonly onGone: () => void;
}

/** One project being watched: its subscribers and the changes not yet sent to them. */
interface Feed {
  readonly projectId: string;
  readonly subscribers: Set<Subscriber>;
  readonly pending: Set<string>;
  timer: NodeJS.Timeout | undefined;
  reading: boolean;
  /** performance.now() of the last read, -Infinity before the first. */
  lastReadAt: number;
}

function sseFrame(event: string, data: unknown): string {
  // JSON.stringify escapes line breaks, so the data always fits on one `data:` line.
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Fans committed changes out to the dashboards watching a project (Server-Sent Events). Changes
 * are coalesced per project: at most one read per changed metric and one message per window,
 * shared by every subscriber of the project. Projects nobody watches cost nothing.
 */
export class LiveHub {
  readonly #services: Services;
  readonly #log: Logger;
  readonly #options: Required<LiveHubOptions>;
  readonly #feeds = new Map<string, Feed>();
  #closed = false;

  constructor(deps: { services: Services; log: Logger } & LiveHubOptions) {
    const { services, log, ...options } = deps;
    this.#services = services;
    this.#log = log;
    this.#options = { ...DEFAULTS, ...options };
  }

  /**
   * Sends the stream its opening frames and the project's changes until the stream closes (or
   * close() ends it). The caller has already checked that the stream may watch the project.
   * Returns the unsubscribe function, for a caller that learns of the client leaving first.
   */
  subscribe(projectId: string, stream: LiveStream): () => void {
    if (this.#closed || stream.destroyed) {
      stream.end();
      return () => undefined;
    }
    let feed = this.#feeds.get(projectId);
    if (feed === undefined) {
      feed = {
        projectId,
        subscribers: new Set(),
        pending: new Set(),
        timer: undefined,
        reading: false,
        lastReadAt: Number.NEGATIVE_INFINITY,
      };
      this.#feeds.set(projectId, feed);
    }
    const subscriber: Subscriber = {
      stream,
      heartbeat: setInterval(() => this.#send(subscriber, ': ping\n\n'), this.#options.heartbeatMs),
      expiry: setTimeout(() => {
        this.#unsubscribe(projectId, subscriber);
        stream.end();
      }, this.#options.maxStreamMs),
      onGone: () => this.#unsubscribe(projectId, subscriber),
    };
    subscriber.heartbeat.unref();
    subscriber.expiry.unref();
    stream.once('close', subscriber.onGone);
    stream.once('error', subscriber.onGone);
    feed.subscribers.add(subscriber);
    this.#send(subscriber, `retry: ${RETRY_MS}\n\n${sseFrame('hello', { projectId })}`);
    return subscriber.onGone;
  }

  /** Called after each commit: which metrics of which projects received events. */
  publish(changes: ReadonlyMap<string, ReadonlySet<string>>): void {
    for (const [projectId, metricIds] of changes) {
      const feed = this.#feeds.get(projectId);
      if (feed === undefined) continue;
      for (const id of metricIds) feed.pending.add(id);
      this.#schedule(feed);
    }
  }

  /** How many streams watch the project (for tests and diagnostics). */
  subscriberCount(projectId: string): number {
    return this.#feeds.get(projectId)?.subscribers.size ?? 0;
  }

  /** Ends every open stream and refuses new ones (server shutdown). */
  close(): void {
    this.#closed = true;
    for (const feed of [...this.#feeds.values()]) {
      for (const subscriber of [...feed.subscribers]) {
        this.#unsubscribe(feed.projectId, subscriber);
        subscriber.stream.end();
      }
    }
  }

  #unsubscribe(projectId: string, subscriber: Subscriber): void {
    clearInterval(subscriber.heartbeat);
    clearTimeout(subscriber.expiry);
    subscriber.stream.off('close', subscriber.onGone);
    subscriber.stream.off('error', subscriber.onGone);
    const feed = this.#feeds.get(projectId);
    if (feed === undefined || !feed.subscribers.delete(subscriber)) return;
    if (feed.subscribers.size > 0) return;
    clearTimeout(feed.timer);
    this.#feeds.delete(projectId);
  }

  /** Writes a frame, or drops a subscriber whose unsent frames pile up (backpressure). */
  #send(subscriber: Subscriber, frame: string): void {
    const { stream } = subscriber;
    if (stream.destroyed) return;
    if (stream.writableLength > this.#options.maxBufferedBytes) {
      stream.destroy();
      return;
    }
    stream.write(frame);
  }

  /** Reads at once when the window allows, else when it opens; never two reads at a time. */
  #schedule(feed: Feed): void {
    if (feed.timer !== undefined || feed.reading || feed.pending.size === 0) return;
    const wait = feed.lastReadAt + this.#options.coalesceMs - performance.now();
    feed.timer = setTimeout(
      () => {
        feed.timer = undefined;
        void this.#flush(feed);
      },
      Math.max(0, wait),
    );
    feed.timer.unref();
  }

  async #flush(feed: Feed): Promise<void> {
    if (this.#feeds.get(feed.projectId) !== feed) return;
    const ids = [...feed.pending];
    feed.pending.clear();
    feed.reading = true;
    feed.lastReadAt = performance.now();
    try {
      const metrics = await this.#readMetrics(feed.projectId, ids);
      if (metrics.length === 0 || this.#feeds.get(feed.projectId) !== feed) return;
      const frame = sseFrame('metrics', { metrics });
      for (const subscriber of [...feed.subscribers]) this.#send(subscriber, frame);
    } catch (error) {
      this.#log.error({ err: error, projectId: feed.projectId }, 'could not read live metrics');
    } finally {
      feed.reading = false;
      this.#schedule(feed);
    }
  }

  /**
   * The metrics as committed, read once for all subscribers. The hub reads as the server itself
   * (OPERATOR): each subscriber was authorized when it connected. A metric or project deleted
   * meanwhile is skipped.
   */
  async #readMetrics(projectId: string, ids: readonly string[]): Promise<Metric[]> {
    const { metrics } = this.#services;
    try {
      if (ids.length > LIST_THRESHOLD) {
        const wanted = new Set(ids);
        return (await metrics.listMetrics(OPERATOR, projectId)).filter((m) => wanted.has(m.id));
      }
      const found: Metric[] = [];
      for (const id of ids) {
        try {
          found.push(await metrics.getMetric(OPERATOR, projectId, id));
        } catch (error) {
          if (!(error instanceof AppError && error.code === 'METRIC_NOT_FOUND')) throw error;
        }
      }
      return found;
    } catch (error) {
      if (error instanceof AppError && error.code === 'PROJECT_NOT_FOUND') return [];
      throw error;
    }
  }
}
