import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RedisConfig } from '../config.js';
import type { Logger } from './logger.js';

/** How long a command may wait for Redis before the caller falls back on its own node's state. */
const COMMAND_TIMEOUT_MS = 1_000;
/** How long start-up waits for Redis to answer. */
const CONNECT_TIMEOUT_MS = 10_000;
/** A lost connection is logged once, then again at most this often while it stays lost. */
const ERROR_LOG_INTERVAL_MS = 30_000;
/**
 * After a command fails, callers use their own node's state without asking Redis for this long:
 * a Redis that stops answering without closing the connection would otherwise cost every
 * request the whole command timeout.
 */
const BREAKER_OPEN_MS = 5_000;
/** How often the subscriber is asked to answer a PING, and how long it is given. */
const WATCHDOG_INTERVAL_MS = 15_000;
const WATCHDOG_TIMEOUT_MS = 2_000;
/** How long close() waits for Redis to acknowledge QUIT before dropping the connections. */
const CLOSE_TIMEOUT_MS = 1_000;
/** What ioredis says when a connection closes, whatever closed it. */
const CONNECTION_CLOSED = 'Connection is closed.';

/**
 * The connections of one server process to the Redis it shares with the others: one for
 * commands, one subscribed to the channels (a subscribed connection takes no other command).
 * Messages carry the id of the node that sent them, so that a node hears only the others.
 * While Redis cannot be reached, commands fail at once (no queue), publishing does nothing, and
 * both connections reconnect on their own; callers fall back on their own node's state. After a
 * failed command, run() falls back without asking Redis for a few seconds (a circuit breaker);
 * a watchdog reconnects a subscriber that stops answering.
 */
export class RedisLink {
  readonly command: Redis;
  readonly prefix: string;
  readonly nodeId = randomUUID();
  readonly #subscriber: Redis;
  readonly #log: Logger;
  readonly #listeners = new Map<string, (payload: unknown) => void>();
  readonly #watchdog: NodeJS.Timeout;
  #lastErrorLog = Number.NEGATIVE_INFINITY;
  #lastError: string | undefined;
  /** Until when commands are not sent (0: the breaker is closed). */
  #openUntil = 0;
  /** Whether a command is testing, after the breaker's period, that Redis answers again. */
  #probing = false;

  private constructor(config: RedisConfig, log: Logger) {
    this.prefix = config.prefix;
    this.#log = log;
    const options = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
    };
    this.command = new Redis(config.url, options);
    // The subscriber has no commands to time out (the watchdog checks that it answers); it
    // resubscribes on each reconnection.
    this.#subscriber = new Redis(config.url, { ...options, commandTimeout: undefined });
    for (const connection of [this.command, this.#subscriber]) {
      connection.on('error', (error: unknown) => {
        this.#lastError = error instanceof Error ? error.message : String(error);
        this.failed(error, 'lost its connection');
      });
    }
    // A connection that has just finished its handshake shows that Redis answers again.
    this.command.on('ready', () => {
      this.#openUntil = 0;
    });
    this.#subscriber.on('message', (channel: string, text: string) => this.#deliver(channel, text));
    this.#watchdog = setInterval(() => void this.#watch(), WATCHDOG_INTERVAL_MS).unref();
  }

  /** Connects both connections; fails with the reason when Redis does not answer. */
  static async open(config: RedisConfig, log: Logger): Promise<RedisLink> {
    const link = new RedisLink(config, log);
    try {
      await Promise.all([link.command.connect(), link.#subscriber.connect()]);
      await link.command.ping();
    } catch (error) {
      link.#disconnect();
      let reason = error instanceof Error ? error.message : String(error);
      if (reason === CONNECTION_CLOSED && link.#lastError !== undefined) reason = link.#lastError;
      throw new Error(`Redis at REDIS_URL cannot be reached: ${reason}`, { cause: error });
    }
    return link;
  }

  /** Calls `onMessage` with what other nodes publish on `channel` (one listener a channel). */
  async listen(channel: string, onMessage: (payload: unknown) => void): Promise<void> {
    const name = `${this.prefix}${channel}`;
    this.#listeners.set(name, onMessage);
    await this.#subscriber.subscribe(name);
  }

  /** Sends `payload` to the other nodes listening on `channel`; never fails (it logs). */
  async publish(channel: string, payload: unknown): Promise<void> {
    await this.run(
      `could not publish on ${channel}`,
      async (redis) => {
        await redis.publish(
          `${this.prefix}${channel}`,
          JSON.stringify({ from: this.nodeId, payload }),
        );
      },
      () => undefined,
    );
  }

  /**
   * Sends a command with `send`, or answers with `fallback` (this node's own state) when it
   * fails, or without sending anything while the breaker is open: for a few seconds after a
   * failure, then until the one command sent to test Redis again has its answer.
   */
  async run<T>(
    what: string,
    send: (redis: Redis) => Promise<T>,
    fallback: () => T | Promise<T>,
  ): Promise<T> {
    if (this.#probing || Date.now() < this.#openUntil) return fallback();
    const probe = this.#openUntil !== 0;
    this.#probing ||= probe;
    try {
      const result = await send(this.command);
      this.#openUntil = 0;
      return result;
    } catch (error) {
      this.#openUntil = Date.now() + BREAKER_OPEN_MS;
      this.failed(error, what);
      // Still no answer on a connection that looks fine: it is stuck (its peer went silent
      // without closing it), and only a new one can tell when Redis answers again.
      if (probe && this.command.status === 'ready') this.command.disconnect(true);
      return fallback();
    } finally {
      if (probe) this.#probing = false;
    }
  }

  /** Logs a Redis failure, at most once every 30 s while Redis stays unreachable. */
  failed(error: unknown, what: string): void {
    const now = Date.now();
    if (now - this.#lastErrorLog < ERROR_LOG_INTERVAL_MS) return;
    this.#lastErrorLog = now;
    this.#log.error(
      { err: error },
      `Redis ${what}; this node uses its own state until Redis answers again`,
    );
  }

  /** True when both connections answer a PING (each within its timeout). */
  async ping(): Promise<boolean> {
    const answered = await Promise.all([
      answers(this.command, COMMAND_TIMEOUT_MS),
      answers(this.#subscriber, WATCHDOG_TIMEOUT_MS),
    ]);
    return answered.every(Boolean);
  }

  /** Quits both connections, waiting at most a second for Redis to acknowledge it. */
  async close(): Promise<void> {
    clearInterval(this.#watchdog);
    await within(
      CLOSE_TIMEOUT_MS,
      Promise.allSettled([this.command.quit(), this.#subscriber.quit()]),
    );
    this.#disconnect();
  }

  /**
   * Reconnects the subscriber when it does not answer a PING: a reconnection whose handshake
   * never got an answer would otherwise wait forever, and no message would arrive. A subscriber
   * that is reconnecting already is left to it.
   */
  async #watch(): Promise<void> {
    const subscriber = this.#subscriber;
    if (subscriber.status !== 'ready' && subscriber.status !== 'connect') return;
    if (await answers(subscriber, WATCHDOG_TIMEOUT_MS)) return;
    if (subscriber.status !== 'ready' && subscriber.status !== 'connect') return;
    this.failed(
      new Error(`no answer within ${WATCHDOG_TIMEOUT_MS} ms`),
      'did not answer a PING on the subscribed connection',
    );
    subscriber.disconnect(true);
  }

  #deliver(channel: string, text: string): void {
    const listener = this.#listeners.get(channel);
    if (listener === undefined) return;
    let message: { from?: unknown; payload?: unknown };
    try {
      message = JSON.parse(text) as { from?: unknown; payload?: unknown };
    } catch {
      return;
    }
    if (message.from === this.nodeId) return;
    try {
      listener(message.payload);
    } catch (error) {
      this.#log.error({ err: error }, `a message on ${channel} could not be handled`);
    }
  }

  #disconnect(): void {
    clearInterval(this.#watchdog);
    this.command.disconnect();
    this.#subscriber.disconnect();
  }
}

/** Whether `connection` answers a PING within `timeoutMs`. */
async function answers(connection: Redis, timeoutMs: number): Promise<boolean> {
  return within(
    timeoutMs,
    connection.ping().then(
      () => true,
      () => false,
    ),
  ).then((answered) => answered === true);
}

/** What `promise` gives, or undefined when it takes more than `timeoutMs`. */
async function within<T>(timeoutMs: number, promise: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
