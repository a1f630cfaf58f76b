import type { RedisLink } from './redis-link.js';

/**
 * Tells every cache holder, on this node and (with a shared implementation) on every other, that
 * something it may have cached has changed: a rotated or revoked key, a renamed or deleted metric.
 */
export interface InvalidationBus {
  publish(topic: InvalidationTopic, key: string): Promise<void>;
  subscribe(topic: InvalidationTopic, listener: (key: string) => void): void;
}

export type InvalidationTopic = 'api-key' | 'metric' | 'project';

/** One process: listeners are called synchronously, before publish() resolves. */
export class MemoryInvalidationBus implements InvalidationBus {
  readonly #listeners = new Map<InvalidationTopic, Array<(key: string) => void>>();

  async publish(topic: InvalidationTopic, key: string): Promise<void> {
    for (const listener of this.#listeners.get(topic) ?? []) listener(key);
  }

  subscribe(topic: InvalidationTopic, listener: (key: string) => void): void {
    const listeners = this.#listeners.get(topic) ?? [];
    listeners.push(listener);
    this.#listeners.set(topic, listeners);
  }
}

const TOPICS: readonly InvalidationTopic[] = ['api-key', 'metric', 'project'];

/**
 * Several processes: this node's listeners are called at once, as MemoryInvalidationBus does,
 * and the others' when Redis delivers the message (milliseconds). Messages published while
 * Redis cannot be reached are lost: the caches' own expiry (2 s) then bounds how long another
 * node may use what changed.
 */
export class RedisInvalidationBus implements InvalidationBus {
  readonly #local = new MemoryInvalidationBus();
  readonly #link: RedisLink;

  private constructor(link: RedisLink) {
    this.#link = link;
  }

  static async open(link: RedisLink): Promise<RedisInvalidationBus> {
    const bus = new RedisInvalidationBus(link);
    await link.listen('invalidate', (payload) => {
      const { topic, key } = (payload ?? {}) as { topic?: unknown; key?: unknown };
      if (TOPICS.includes(topic as InvalidationTopic) && typeof key === 'string') {
        void bus.#local.publish(topic as InvalidationTopic, key);
      }
    });
    return bus;
  }

  async publish(topic: InvalidationTopic, key: string): Promise<void> {
    await this.#local.publish(topic, key);
    await this.#link.publish('invalidate', { topic, key });
  }

  subscribe(topic: InvalidationTopic, listener: (key: string) => void): void {
    this.#local.subscribe(topic, listener);
  }
}
