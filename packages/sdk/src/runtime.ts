// The few Web APIs the SDK uses, typed structurally: its declarations need neither the DOM lib
// nor @types/node, and it runs wherever these globals exist (Node 20+, browsers, workers).

/**
 * What the SDK needs of an `AbortSignal`; a real one (browser or Node) fits.
 *
 * @example
 * ```ts
 * const signal: AbortSignalLike = AbortSignal.timeout(5_000);
 * await client.capture('signups', { value: 1 }, { signal });
 * ```
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * What the SDK reads of a response's headers; a `Headers` object fits.
 *
 * @example
 * ```ts
 * const replayed = (headers: HeadersLike) => headers.get('idempotent-replayed') === 'true';
 * ```
 */
export interface HeadersLike {
  get(name: string): string | null;
}

/**
 * What the SDK reads of a fetch `Response`.
 *
 * @example
 * ```ts
 * const ok = async (response: ResponseLike) => response.ok && (await response.text()) !== '';
 * ```
 */
export interface ResponseLike {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: HeadersLike;
  text(): Promise<string>;
}

/**
 * The second argument the SDK gives `fetch`: always `method`, `headers` (a plain object of
 * strings) and `signal` (an {@link AbortSignalLike}); `body` (a JSON string) when there is one;
 * `keepalive: true` while the page is being left. Typed loosely so that any fetch fits.
 *
 * @example
 * ```ts
 * const logged = (input: string, init: FetchInit) => {
 *   console.log(init.method, input);
 *   return fetch(input, init as RequestInit);
 * };
 * ```
 */
export interface FetchInit {
  method?: string;
  headers?: unknown;
  body?: unknown;
  keepalive?: boolean;
  signal?: AbortSignalLike | null;
}

/**
 * A fetch function, as the `fetch` option takes it: `globalThis.fetch`, `window.fetch`, undici's
 * or a wrapper of your own.
 *
 * @example
 * ```ts
 * const logged: FetchLike = (input, init) => {
 *   console.log(init?.method, input);
 *   return fetch(input, init as RequestInit);
 * };
 * ```
 */
// Checked as a method (bivariantly): the platform's fetch, typed with RequestInit, must fit.
export type FetchLike = {
  fetch(input: string, init?: FetchInit): Promise<ResponseLike>;
}['fetch'];

export interface AbortControllerLike {
  readonly signal: AbortSignalLike;
  abort(reason?: unknown): void;
}

interface EventTargetLike {
  addEventListener?(type: string, listener: () => void): void;
  removeEventListener?(type: string, listener: () => void): void;
}

interface Runtime extends EventTargetLike {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
  AbortController: new () => AbortControllerLike;
  TextEncoder: new () => { encode(text: string): { readonly byteLength: number } };
  URL: new (url: string) => { readonly protocol: string };
  fetch?(input: string, init?: FetchInit): Promise<ResponseLike>;
  console?: { error(...data: unknown[]): void };
  crypto?: {
    randomUUID?(): string;
    getRandomValues?(array: Uint8Array): Uint8Array;
  };
  process?: {
    on?(event: string, listener: () => void): unknown;
    removeListener?(event: string, listener: () => void): unknown;
  };
  document?: EventTargetLike & { readonly visibilityState?: string };
}

/** The global object, as the SDK uses it; properties are read when used, never cached. */
export const runtime = globalThis as unknown as Runtime;

/** The longest delay a timer takes; longer ones would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Lets a Node process exit while the timer is pending; a no-op in browsers. */
export function unref(timer: unknown): void {
  const candidate = timer as { unref?: () => void } | null;
  if (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.unref === 'function'
  ) {
    candidate.unref();
  }
}

/** The UTF-8 size of a string, in bytes. */
export function byteLength(text: string): number {
  return new runtime.TextEncoder().encode(text).byteLength;
}
