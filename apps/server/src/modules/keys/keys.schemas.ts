import { type Static, Type } from '@sinclair/typebox';

export const KeyScope = Type.Union([Type.Literal('ingest'), Type.Literal('read')], {
  description: 'ingest: send events · read: query metrics.',
});

export const CreateKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, examples: ['Production backend'] }),
    scope: KeyScope,
  },
  { additionalProperties: false },
);
export type CreateKeyBody = Static<typeof CreateKeyBody>;

export const ApiKey = Type.Object({
  id: Type.String({ format: 'uuid' }),
  projectId: Type.String({ format: 'uuid' }),
  name: Type.String(),
  scope: KeyScope,
  prefix: Type.String({ description: 'The first characters of the secret, for recognising it.' }),
  status: Type.Union([Type.Literal('active'), Type.Literal('revoked')]),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  rotatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type ApiKey = Static<typeof ApiKey>;

export const NewApiKey = Type.Composite([
  ApiKey,
  Type.Object({
    secret: Type.String({
      description: 'The key itself. Shown this once: only its hash is stored.',
      examples: ['mly_3kTz9Qw0bX1c2V4n5M6a7S8d9F0g1H2j'],
    }),
  }),
]);
export type NewApiKey = Static<typeof NewApiKey>;
