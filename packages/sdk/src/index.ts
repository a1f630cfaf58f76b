import { Measurely } from './facade.js';

export { createClient, DEFAULT_BASE_URL, type MeasurelyClient } from './client.js';
export {
  CLIENT_ERROR_CODES,
  type ClientErrorCode,
  MeasurelyError,
  type MeasurelyErrorKind,
  type MeasurelyErrorOptions,
} from './errors.js';
export { type LegacyCaptureResult, type LegacyInitOptions, Measurely } from './facade.js';
export type {
  Amounts,
  BreakdownQuery,
  BreakdownResponse,
  Bucket,
  FiltersResponse,
  Granularity,
  KeyIdentity,
  MetricBrief,
  MetricOverview,
  MetricType,
  RangePreset,
  SeriesQuery,
  SeriesResponse,
  SeriesSummary,
  WindowQuery,
} from './read-types.js';
export type {
  AbortSignalLike,
  FetchInit,
  FetchLike,
  HeadersLike,
  ResponseLike,
} from './runtime.js';
export type {
  BatchEvent,
  BatchEventResult,
  BatchResult,
  CaptureInput,
  CaptureResult,
  ClientOptions,
  FlushOptions,
  RequestOptions,
  SendOptions,
} from './types.js';

/**
 * The facade is also the default export, as in the original package: `import Measurely from …`.
 *
 * @example
 * ```ts
 * import Measurely from '@measurely/sdk';
 * Measurely.init(apiKey, { baseUrl: 'https://metrics.example.com' });
 * ```
 */
export default Measurely;
