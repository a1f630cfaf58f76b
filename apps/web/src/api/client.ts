import type { Problem } from './types';

export interface FieldError {
  /** JSON pointer to the field, e.g. `/email`. */
  pointer: string;
  message: string;
}

/** Codes the client makes up when there is no problem document to read. */
export type ClientErrorCode = 'NETWORK_ERROR' | 'HTTP_ERROR' | 'BAD_RESPONSE';

/**
 * Any failed API call: the server's problem document (stable `code`, human `detail`), or a
 * client-side stand-in when the server could not be reached or did not answer with one.
 */
export class ApiError extends Error {
  /** HTTP status; 0 when no response arrived. */
  readonly status: number;
  /** Stable code, e.g. `METRIC_NAME_TAKEN` (docs/errors.md), or a {@link ClientErrorCode}. */
  readonly code: string;
  /** Short summary, e.g. "Metric name already used". */
  readonly title: string;
  /** What happened, for people. */
  readonly detail: string;
  readonly requestId: string | undefined;
  readonly fieldErrors: readonly FieldError[];
  /** From `Retry-After` on a 429 or 503. */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: {
    status: number;
    code: string;
    title: string;
    detail: string;
    requestId?: string | undefined;
    fieldErrors?: readonly FieldError[];
    retryAfterSeconds?: number | undefined;
  }) {
    super(init.detail);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.title = init.title;
    this.detail = init.detail;
    this.requestId = init.requestId;
    this.fieldErrors = init.fieldErrors ?? [];
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

export function isApiError(error: unknown, code?: string): error is ApiError {
  return error instanceof ApiError && (code === undefined || error.code === code);
}

type UnauthenticatedHandler = (error: ApiError) => void;
let onUnauthenticated: UnauthenticatedHandler | undefined;

/**
 * Called whenever a request answers 401 UNAUTHENTICATED (no session, or it expired). The app sets
 * it once (src/session.ts) to send the user to the sign-in page.
 */
export function setUnauthenticatedHandler(handler: UnauthenticatedHandler | undefined): void {
  onUnauthenticated = handler;
}

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Sent as JSON. */
  body?: unknown;
  /** Appended as a query string; null and undefined values are left out. */
  query?: Record<string, QueryValue | readonly string[]>;
  signal?: AbortSignal | undefined;
  headers?: Record<string, string>;
}

/** `path` plus `query` as a URL relative to this origin. */
export function buildUrl(path: string, query?: RequestOptions['query']): string {
  if (query === undefined) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) params.append(key, String(one));
  }
  const search = params.toString();
  return search === '' ? path : `${path}${path.includes('?') ? '&' : '?'}${search}`;
}

/**
 * Calls the API with the session cookie and parses the JSON answer. Throws {@link ApiError} for
 * anything but a 2xx; a 204 resolves to undefined.
 */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const { method = 'GET', body, query, signal, headers = {} } = options;
  let response: Response;
  try {
    response = await fetch(buildUrl(path, query), {
      method,
      credentials: 'same-origin',
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal === undefined ? {} : { signal }),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError({
      status: 0,
      code: 'NETWORK_ERROR',
      title: 'Cannot reach the server',
      detail: 'The server did not answer. Check your connection, then try again.',
    });
  }

  if (response.ok) {
    if (response.status === 204) return undefined as T;
    const type = response.headers.get('content-type') ?? '';
    if (!type.includes('json')) return (await response.text()) as T;
    try {
      return (await response.json()) as T;
    } catch {
      throw new ApiError({
        status: response.status,
        code: 'BAD_RESPONSE',
        title: 'Unreadable answer',
        detail: 'The server sent an answer that could not be read. Try again.',
      });
    }
  }

  const error = await toApiError(response);
  if (error.code === 'UNAUTHENTICATED') onUnauthenticated?.(error);
  throw error;
}

async function toApiError(response: Response): Promise<ApiError> {
  const retryAfter = Number(response.headers.get('retry-after'));
  const retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined;
  const requestId = response.headers.get('x-request-id') ?? undefined;
  let problem: Partial<Problem> | undefined;
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    try {
      problem = (await response.json()) as Partial<Problem>;
    } catch {
      problem = undefined;
    }
  }
  if (typeof problem?.code === 'string' && typeof problem.detail === 'string') {
    return new ApiError({
      status: response.status,
      code: problem.code,
      title: typeof problem.title === 'string' ? problem.title : response.statusText,
      detail: problem.detail,
      requestId: problem.requestId ?? requestId,
      fieldErrors: Array.isArray(problem.errors) ? problem.errors : [],
      retryAfterSeconds,
    });
  }
  // Not one of ours: a proxy in front of the server, or a server being restarted.
  return new ApiError({
    status: response.status,
    code: 'HTTP_ERROR',
    title: response.status >= 500 ? 'The server is unavailable' : 'Request failed',
    detail:
      response.status >= 500
        ? `The server answered ${response.status}. Try again in a moment.`
        : `The server answered ${response.status} ${response.statusText}.`.trim(),
    requestId,
    retryAfterSeconds,
  });
}

/** Shorthands for {@link request}. */
export const api = {
  get: <T>(path: string, options?: Omit<RequestOptions, 'method' | 'body'>) =>
    request<T>(path, { ...options, method: 'GET' }),
  post: <T>(path: string, body?: unknown, options?: Omit<RequestOptions, 'method' | 'body'>) =>
    request<T>(path, { ...options, method: 'POST', body }),
  patch: <T>(path: string, body?: unknown, options?: Omit<RequestOptions, 'method' | 'body'>) =>
    request<T>(path, { ...options, method: 'PATCH', body }),
  delete: <T = void>(path: string, options?: Omit<RequestOptions, 'method' | 'body'>) =>
    request<T>(path, { ...options, method: 'DELETE' }),
};

/** Encodes one path segment (an id or a metric name). */
export function seg(value: string): string {
  return encodeURIComponent(value);
}
