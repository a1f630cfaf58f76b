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
 * The connections of one server process to the Redis it shares with the others: one for
 * commands, one subscribed to the channels (a subscribed connection takes no other command).
 * Messages carry the id of the node that sent them, so that a node hears only the others.
 * While Redis cannot be reached, commands fail at once (no queue), publishing does nothing, and
 * both connections reconnect on their own; callers fall back on their own node's state.
 */
export class RedisLink {
  readonly command: Redis;
  readonly prefix: string;
  readonly nodeId = randomUUID();
  readonly #subscriber: Redis;
  readonly #log: Logger;
  readonly #listeners = new Map<string, (payload: unknown) => void>();
  #lastErrorLog = Number.NEGATIVE_INFINITY;

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
    // The subscriber has no commands to time out; it resubscribes on each reconnection.
    this.#subscriber = new Redis(config.url, { ...options, commandTimeout: undefined });
    for (const connection of [this.command, this.#subscriber]) {
      connection.on('error', (error: unknown) => this.failed(error, 'lost its connection'));
    }
    this.#subscriber.on('message', (channel: string, text: string) => this.#deliver(channel, text));
  }

  /** Connects both connections; fails with the reason when Redis does not answer. */
  static async open(config: RedisConfig, log: Logger): Promise<RedisLink> {
    const link = new RedisLink(config, log);
    try {
      await Promise.all([link.command.connect(), link.#subscriber.connect()]);
      await link.command.ping();
    } catch (error) {
      link.#disconnect();
      const reason = error instanceof Error ? error.message : String(error);
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
    try {
      await this.command.publish(
        `${this.prefix}${channel}`,
        JSON.stringify({ from: this.nodeId, payload }),
      );
    } catch (error) {
      this.failed(error, `could not publish on ${channel}`);
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

  /** True when Redis answers a PING (within the command timeout). */
  async ping(): Promise<boolean> {
    try {
      return (await this.command.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.command.quit(), this.#subscriber.quit()]);
    this.#disconnect();
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
    this.command.disconnect();
    this.#subscriber.disconnect();
  }
}
