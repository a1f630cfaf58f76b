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

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({ description: 'Stable error code, e.g. METRIC_NAME_TAKEN.' }),
    requestId: Type.String(),
    errors: Type.Optional(
      Type.Array(Type.Object({ pointer: Type.String(), message: Type.String() })),
    ),
  },
  {
    $id: 'Problem',
    title: 'Problem',
    additionalProperties: true,
    description: 'RFC 9457 problem details.',
  },
);

/** Error responses every authenticated route can give, for the OpenAPI document. */
const problemResponse = {
  description: 'An RFC 9457 problem document with a stable code.',
  content: { 'application/problem+json': { schema: Type.Ref(ProblemSchema) } },
} as const;

export const errorResponses = { '4xx': problemResponse, '5xx': problemResponse } as const;

export const ProjectParams = Type.Object({ projectId: Type.String() });
