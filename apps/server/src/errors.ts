/**
 * The closed list of error codes the API returns, with their HTTP status and title.
 * Codes are stable: clients branch on them. Add new ones; never rename or reuse one.
 */
export const ERROR_CODES = {
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  VALIDATION_FAILED: { status: 400, title: 'Validation failed' },
  INVALID_JSON: { status: 400, title: 'Malformed JSON body' },
  VALUE_INVALID: { status: 400, title: 'Value is not a finite number' },
  VALUE_NOT_POSITIVE: { status: 400, title: 'Value must be positive for this metric' },
  VALUE_ZERO: { status: 400, title: 'Value must not be zero for this metric' },
  VALUE_TOO_PRECISE: { status: 400, title: 'Value has more precision than is stored' },
  VALUE_OUT_OF_RANGE: { status: 400, title: 'Value or total out of range' },
  FILTERS_INVALID: { status: 400, title: 'Invalid filters' },
  FILTERS_LIMIT: { status: 400, title: 'Filter limit reached' },
  TIMESTAMP_INVALID: { status: 400, title: 'Invalid timestamp' },
  TIMESTAMP_OUT_OF_RANGE: { status: 400, title: 'Timestamp outside the accepted window' },
  BATCH_INVALID: { status: 400, title: 'Invalid batch' },
  IDEMPOTENCY_KEY_INVALID: { status: 400, title: 'Invalid Idempotency-Key' },
  RESET_TOKEN_INVALID: { status: 400, title: 'Password reset link invalid or expired' },
  INVITATION_INVALID: { status: 400, title: 'Invitation link not valid' },
  PASSWORD_INCORRECT: { status: 400, title: 'Current password is wrong' },
  QUERY_INVALID: { status: 400, title: 'Invalid query parameters' },
  TIME_ZONE_INVALID: { status: 400, title: 'Unknown time zone' },
  RANGE_INVALID: { status: 400, title: 'Invalid time range' },
  RANGE_TOO_LONG: { status: 400, title: 'Time range longer than allowed' },
  TOO_MANY_BUCKETS: { status: 400, title: 'Too many buckets; use a coarser granularity' },
  QUERY_TOO_BROAD: { status: 400, title: 'Too many filter combinations for this query' },
  ORIGINS_REQUIRED: { status: 400, title: 'A public key needs at least one allowed origin' },
  ORIGIN_INVALID: { status: 400, title: 'Invalid origin' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  API_KEY_INVALID: { status: 401, title: 'Missing, unknown or revoked API key' },
  METRIC_UNKNOWN: { status: 401, title: 'No such metric for this API key' },
  INVALID_CREDENTIALS: { status: 401, title: 'Wrong e-mail or password' },
  FORBIDDEN: { status: 403, title: 'Not allowed' },
  SIGNUP_DISABLED: { status: 403, title: 'Sign-up is disabled on this instance' },
  KEY_SCOPE_FORBIDDEN: { status: 403, title: 'This API key cannot do that' },
  INVITATION_EMAIL_MISMATCH: { status: 403, title: 'Invitation for another address' },
  CROSS_SITE_REQUEST: { status: 403, title: 'Cross-site request refused' },
  ORIGIN_NOT_ALLOWED: { status: 403, title: 'Origin not allowed for this key' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  USER_NOT_FOUND: { status: 404, title: 'User not found' },
  PROJECT_NOT_FOUND: { status: 404, title: 'Project not found' },
  MEMBER_NOT_FOUND: { status: 404, title: 'Member not found' },
  INVITATION_NOT_FOUND: { status: 404, title: 'Invitation not found' },
  KEY_NOT_FOUND: { status: 404, title: 'API key not found' },
  METRIC_NOT_FOUND: { status: 404, title: 'Metric not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  REQUEST_TIMEOUT: { status: 408, title: 'Request not received in time' },
  EMAIL_TAKEN: { status: 409, title: 'E-mail already registered' },
  ALREADY_MEMBER: { status: 409, title: 'Already a member' },
  LAST_OWNER: { status: 409, title: 'A project needs an owner' },
  METRIC_NAME_TAKEN: { status: 409, title: 'Metric name already used' },
  KEY_REVOKED: { status: 409, title: 'API key is revoked' },
  TRACKER_METRIC_CONFLICT: {
    status: 409,
    title: 'A metric the tracker needs exists with another type',
  },
  IDEMPOTENCY_KEY_IN_USE: {
    status: 409,
    title: 'A request with this Idempotency-Key is in flight',
  },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency-Key reused for another request' },
  HEADERS_TOO_LARGE: { status: 431, title: 'Request headers too large' },
  TOO_MANY_ATTEMPTS: { status: 429, title: 'Too many attempts' },
  RATE_LIMITED: { status: 429, title: 'Rate limit exceeded' },
  QUOTA_EXCEEDED: { status: 429, title: 'Monthly event quota exhausted' },
  INTERNAL: { status: 500, title: 'Internal server error' },
  STORAGE_FAILED: { status: 500, title: 'The event could not be stored' },
  NOT_READY: { status: 503, title: 'Service not ready' },
  OVERLOADED: { status: 503, title: 'Too many events waiting to be stored' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface AppErrorOptions {
  /** Extra members of the problem document, e.g. the invalid fields. */
  readonly extensions?: Readonly<Record<string, unknown>>;
  /** Response headers, e.g. Retry-After. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

/** An error a client can act on: a stable code, its status, and a human-readable detail. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string;
  readonly extensions: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, detail: string, options: AppErrorOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.detail = detail;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }
}

/** RFC 9457 problem document, as every error response renders it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string;
  [extension: string]: unknown;
}

export function toProblem(error: AppError, requestId: string): Problem {
  return {
    ...error.extensions,
    type: `urn:measurely:error:${error.code.toLowerCase().replaceAll('_', '-')}`,
    title: ERROR_CODES[error.code].title,
    status: error.status,
    detail: error.detail,
    code: error.code,
    requestId,
  };
}
