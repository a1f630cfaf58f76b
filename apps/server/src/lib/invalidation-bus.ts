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
