import { createClient, type MeasurelyClient } from './client.js';
import { MeasurelyError } from './errors.js';

/**
 * What the compatibility facade's `capture` resolves with; it never rejects.
 *
 * @example
 * ```ts
 * const { success, message }: LegacyCaptureResult = await Measurely.capture('signups', { value: 1 });
 * ```
 */
export interface LegacyCaptureResult {
  success: boolean;
  message: string;
}

/**
 * Options of `Measurely.init`.
 *
 * @example
 * ```ts
 * const options: LegacyInitOptions = { baseUrl: 'https://metrics.example.com' };
 * ```
 */
export interface LegacyInitOptions {
  /** The server's URL. Default `http://localhost:3000`. */
  baseUrl?: string | undefined;
  /** Time allowed to each attempt, in milliseconds. Default 10,000. */
  timeoutMs?: number | undefined;
  /** Retries after the first attempt. Default 6. */
  maxRetries?: number | undefined;
}

/** What the original SDK answers when there is no usable API key; kept word for word. */
const MISSING_KEY = 'Missing API KEY, please call the init function';

let current: MeasurelyClient | undefined;
/** Why the last `init` could not make a client (an empty key, a bad base URL…). */
let initError: string | undefined = MISSING_KEY;

/**
 * Drop-in replacement for the original Measurely SDK: change the import and the base URL.
 * Neither `init` nor `capture` ever throws; `capture` resolves with `{ success, message }`.
 * Behind it is a {@link createClient} client, so each capture is retried with one
 * Idempotency-Key.
 *
 * @example
 * ```ts
 * import { Measurely } from '@measurely/sdk';
 *
 * Measurely.init(process.env.MEASURELY_API_KEY ?? '', { baseUrl: 'https://metrics.example.com' });
 * const result = await Measurely.capture('signups', { value: 1, filters: { plan: 'pro' } });
 * if (!result.success) console.warn(result.message);
 * ```
 */
export const Measurely = {
  /**
   * Sets the API key (and base URL) every later `capture` uses. Never throws, as in the
   * original: a missing key or a bad option makes each `capture` answer `success: false` with
   * the reason.
   */
  init(apiKey: string, options: LegacyInitOptions = {}): void {
    current = undefined;
    if (typeof apiKey !== 'string' || apiKey.trim() === '') {
      initError = MISSING_KEY;
      return;
    }
    try {
      current = createClient({ apiKey, ...(options ?? {}) });
      initError = undefined;
    } catch (error) {
      initError = describe(error);
    }
  },

  /** Records one value for a metric (id or name); resolves `{ success, message }`, never rejects. */
  async capture(
    idOrName: string,
    payload: { value: number; filters?: Record<string, string> | undefined },
  ): Promise<LegacyCaptureResult> {
    if (current === undefined) return { success: false, message: initError ?? MISSING_KEY };
    try {
      // Passed whole: a field other than value and filters (a typo) is refused, not dropped.
      const { replayed } = await current.capture(idOrName, payload);
      return { success: true, message: replayed ? 'Event already recorded.' : 'Event recorded.' };
    } catch (error) {
      return { success: false, message: describe(error) };
    }
  },
} as const;

function describe(error: unknown): string {
  if (error instanceof MeasurelyError) {
    const detail = error.problem?.detail;
    return `${error.code}: ${typeof detail === 'string' ? detail : error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}
