import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Config } from './config.js';
import { AppError, ERROR_CODES, type ErrorCode, type Problem, toProblem } from './errors.js';
import type { ReaderAuth } from './plugins/reader.js';
import type { SessionHelpers } from './plugins/session.js';
import type { Services } from './services.js';

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** What every feature's routes receive when registered. */
export interface RouteDeps {
  readonly services: Services;
  readonly session: SessionHelpers;
  /** Read access: a member's session or a `read` API key. */
  readonly reader: ReaderAuth;
  readonly config: Config;
}

const ALL_CODES = Object.keys(ERROR_CODES) as ErrorCode[];

export const ProblemSchema = Type.Object(
  {
    type: Type.String({
      description: '`urn:measurely:error:` and the code in kebab case.',
      examples: ['urn:measurely:error:metric-name-taken'],
    }),
    title: Type.String({ description: 'The title of the code: the same every time.' }),
    status: Type.Integer({ description: 'The HTTP status, repeated.' }),
    detail: Type.String({ description: 'What went wrong this time, for people; may be reworded.' }),
    code: Type.Unsafe<ErrorCode>({
      type: 'string',
      enum: ALL_CODES,
      description: 'Stable error code: branch on it. Every code is listed in docs/errors.md.',
    }),
    requestId: Type.String({
      description: 'The X-Request-Id of the response, also in the server log lines.',
    }),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          pointer: Type.String({ description: 'JSON pointer to the field, e.g. `/name`.' }),
          message: Type.String(),
        }),
        { description: 'VALIDATION_FAILED and QUERY_INVALID: one entry per bad field.' },
      ),
    ),
  },
  {
    $id: 'Problem',
    title: 'Problem',
    additionalProperties: true,
    description: 'RFC 9457 problem details, served as `application/problem+json`.',
  },
);

/**
 * Who may call a route, as OpenAPI security requirements. The schemes are declared once in
 * {@link SECURITY_SCHEMES}; alternatives are listed side by side (either one is enough).
 */
export const SECURITY: Record<
  'none' | 'session' | 'optionalSession' | 'ingestKey' | 'reader' | 'ingestOrReadKey',
  Array<Record<string, string[]>>
> = {
  /** No authentication: sign-up, sign-in, health checks, the website tracker (its key is in the body). */
  none: [],
  /** The session cookie of a signed-in user (the default of the document). */
  session: [{ session: [] }],
  /** The session cookie if there is one; nothing otherwise. */
  optionalSession: [{ session: [] }, {}],
  /** `Authorization: Bearer` with an ingest key: sending events. */
  ingestKey: [{ ingestKey: [] }],
  /** A member's session, or `Authorization: Bearer` with a read key: the query API. */
  reader: [{ session: [] }, { readKey: [] }],
  /** `Authorization: Bearer` with an ingest or a read key, never a session: what a key is. */
  ingestOrReadKey: [{ ingestKey: [] }, { readKey: [] }],
};

export const SECURITY_SCHEMES = {
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: 'mly_session',
    description:
      'The session cookie set by `POST /api/auth/signup` or `/api/auth/login`. In this reference, sign in on the dashboard in the same browser: the cookie then goes with every "Try it out".',
  },
  ingestKey: {
    type: 'http',
    scheme: 'bearer',
    description:
      'An `ingest` API key of the project (`mly_…`), as `Authorization: Bearer mly_…`: sends events, reads nothing (except what the key itself is, `GET /api/key`).',
  },
  readKey: {
    type: 'http',
    scheme: 'bearer',
    description:
      'A `read` API key of the project (`mly_…`), as `Authorization: Bearer mly_…`: reads series, breakdowns, live updates and exports of its project.',
  },
} as const;

/** Codes any route with a JSON body can answer, before its handler runs. */
export const BODY_ERRORS = [
  'BAD_REQUEST',
  'INVALID_JSON',
  'VALIDATION_FAILED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
] as const satisfies readonly ErrorCode[];

/** A state-changing `/api/` request sent by a browser from another site. */
export const WRITE_ERRORS = ['CROSS_SITE_REQUEST'] as const satisfies readonly ErrorCode[];

/** Routes that need a signed-in user. */
/** Routes for a signed-in person: no session, or an API key instead of one (KEY_SCOPE_FORBIDDEN). */
export const SESSION_ERRORS = [
  'UNAUTHENTICATED',
  'KEY_SCOPE_FORBIDDEN',
] as const satisfies readonly ErrorCode[];

/** Routes under a project for its members: someone outside it gets PROJECT_NOT_FOUND. */
export const MEMBER_ERRORS = [...SESSION_ERRORS, 'PROJECT_NOT_FOUND'] as const;

/** Changes to a project: they need the owner or admin role (FORBIDDEN otherwise). */
export const MANAGER_ERRORS = [...WRITE_ERRORS, ...MEMBER_ERRORS, 'FORBIDDEN'] as const;

/** Routes open to a member's session or a read key (plugins/reader.ts). */
export const READER_ERRORS = [
  'UNAUTHENTICATED',
  'API_KEY_INVALID',
  'KEY_SCOPE_FORBIDDEN',
] as const satisfies readonly ErrorCode[];

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request',
  401: 'Not authenticated',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Body too large',
  415: 'Unsupported media type',
  422: 'Unprocessable request',
  429: 'Too many requests',
  500: 'Server error',
  503: 'Unavailable',
};

interface HeaderDoc {
  readonly type: 'integer' | 'string';
  readonly description: string;
  readonly examples?: readonly unknown[];
}

const RETRY_AFTER: HeaderDoc = {
  type: 'integer',
  description: 'Seconds to wait before trying again.',
  examples: [1],
};

/** Rate-limit headers of ingestion (draft-ietf-httpapi-ratelimit-headers). */
export const RATE_LIMIT_HEADERS = {
  RateLimit: {
    type: 'string',
    description: 'What is left of the key’s allowance, and seconds until it is full again.',
    examples: ['"per-key";r=999;t=1'],
  },
  'RateLimit-Policy': {
    type: 'string',
    description: 'The key’s limit: q events per w seconds.',
    examples: ['"per-key";q=1000;w=1'],
  },
} as const satisfies Record<string, HeaderDoc>;

/** Headers that come with an error code. */
const CODE_HEADERS: Partial<Record<ErrorCode, Record<string, HeaderDoc>>> = {
  RATE_LIMITED: { 'Retry-After': RETRY_AFTER, ...RATE_LIMIT_HEADERS },
  QUOTA_EXCEEDED: {
    'Retry-After': { ...RETRY_AFTER, description: 'Seconds until the next UTC month.' },
  },
  TOO_MANY_ATTEMPTS: { 'Retry-After': RETRY_AFTER },
  OVERLOADED: { 'Retry-After': RETRY_AFTER },
  METHOD_NOT_ALLOWED: { Allow: { type: 'string', description: 'The methods the path takes.' } },
};

const PROBLEM_REF = Type.Ref(ProblemSchema);

/** Where a route's response entries keep their codes, for {@link documentErrorCodes}. */
const CODES_KEY = 'x-error-codes';

/** The response entry of one status: the codes it carries, with an example of each. */
export interface ProblemResponse {
  readonly description: string;
  readonly headers?: Record<string, HeaderDoc>;
  readonly content: {
    readonly 'application/problem+json': {
      readonly schema: typeof PROBLEM_REF;
      readonly examples: Record<string, { summary: string; value: Problem }>;
    };
  };
  readonly [CODES_KEY]: readonly ErrorCode[];
}

/** What the server sends for the code, as the error handler renders it. */
function exampleOf(code: ErrorCode): Problem {
  const error = new AppError(code, `${ERROR_CODES[code].title}.`);
  return toProblem(error, '5b0f7c1e-2d4a-4f7e-9c1b-3a8e6d2f4b90');
}

/** The headers the codes carry; a header two codes describe differently names each code. */
function headersOf(codes: readonly ErrorCode[]): Record<string, HeaderDoc> {
  const uses = new Map<string, Array<[ErrorCode, HeaderDoc]>>();
  for (const code of codes) {
    for (const [name, doc] of Object.entries(CODE_HEADERS[code] ?? {})) {
      uses.set(name, [...(uses.get(name) ?? []), [code, doc]]);
    }
  }
  const headers: Record<string, HeaderDoc> = {};
  for (const [name, list] of uses) {
    const [[, first]] = list as [[ErrorCode, HeaderDoc]];
    const descriptions = new Set(list.map(([, doc]) => doc.description));
    headers[name] =
      descriptions.size === 1
        ? first
        : {
            ...first,
            description: list.map(([code, doc]) => `${code}: ${doc.description}`).join(' '),
          };
  }
  return headers;
}

/**
 * The error responses of a route, one entry per status, built from the codes it can answer
 * (each code's status and title come from errors.ts, so they cannot drift). INTERNAL is always
 * added. Each entry lists its codes in its description, with an example per code, and the
 * headers they carry (Retry-After…); the OpenAPI operation gets them as `x-error-codes`.
 *
 * @example response: { 200: Thing, ...problems(SESSION_ERRORS, 'PROJECT_NOT_FOUND') }
 */
export function problems(
  ...codes: ReadonlyArray<ErrorCode | readonly ErrorCode[]>
): Record<string, ProblemResponse> {
  const unique = [...new Set<ErrorCode>([...codes.flat(), 'INTERNAL'])];
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of unique) {
    const { status } = ERROR_CODES[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, ProblemResponse> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    const headers = headersOf(list);
    responses[String(status)] = {
      description: [
        `${STATUS_TEXT[status] ?? 'Error'}: a problem document with one of these codes.`,
        '',
        ...list.map((code) => `- \`${code}\`: ${ERROR_CODES[code].title}`),
      ].join('\n'),
      ...(Object.keys(headers).length === 0 ? {} : { headers }),
      content: {
        'application/problem+json': {
          schema: PROBLEM_REF,
          examples: Object.fromEntries(
            list.map((code) => [
              code,
              { summary: `${code}: ${ERROR_CODES[code].title}`, value: exampleOf(code) },
            ]),
          ),
        },
      },
      [CODES_KEY]: list,
    };
  }
  return responses;
}

/**
 * A route's schema as the OpenAPI document shows it: with `x-error-codes`, the codes of its
 * {@link problems} entries by status. Given to @fastify/swagger as its `transform`.
 */
export function documentErrorCodes<S, U>({
  schema,
  url,
}: {
  schema: S;
  url: U;
}): {
  schema: S;
  url: U;
} {
  const response = (schema as { response?: Record<string, unknown> } | undefined)?.response;
  if (response === undefined) return { schema, url };
  const codes: Record<string, readonly ErrorCode[]> = {};
  for (const [status, entry] of Object.entries(response)) {
    const list = (entry as Partial<ProblemResponse> | undefined)?.[CODES_KEY];
    if (list !== undefined) codes[status] = list;
  }
  if (Object.keys(codes).length === 0) return { schema, url };
  return { schema: { ...schema, [CODES_KEY]: codes }, url };
}

export const ProjectParams = Type.Object({
  projectId: Type.String({ description: 'The project’s id.' }),
});
