import { type Static, Type } from '@sinclair/typebox';

export const KeyScope = Type.Union(
  [Type.Literal('ingest'), Type.Literal('read'), Type.Literal('public')],
  {
    description:
      'ingest: send events · read: query metrics · public: the website tracker (publishable, only from its allowed origins).',
  },
);

export const Origins = Type.Array(
  Type.String({ minLength: 1, maxLength: 300, examples: ['https://example.com'] }),
  {
    maxItems: 50,
    description:
      'Public keys: the sites allowed to send page views, as scheme://host[:port]; https://*.example.com allows its subdomains.',
    examples: [['https://example.com', 'https://*.example.com']],
  },
);

export const CreateKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, examples: ['Production backend'] }),
    scope: KeyScope,
    origins: Type.Optional(Origins),
  },
  {
    additionalProperties: false,
    examples: [
      { name: 'Production backend', scope: 'ingest' },
      { name: 'Reports', scope: 'read' },
      {
        name: 'Website',
        scope: 'public',
        origins: ['https://example.com', 'https://*.example.com'],
      },
    ],
  },
);
export type CreateKeyBody = Static<typeof CreateKeyBody>;

export const UpdateKeyBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    origins: Type.Optional(Origins),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    examples: [
      { name: 'Billing service' },
      { origins: ['https://example.com', 'https://shop.example.com'] },
    ],
  },
);
export type UpdateKeyBody = Static<typeof UpdateKeyBody>;

export const ApiKey = Type.Object({
  id: Type.String({ format: 'uuid' }),
  projectId: Type.String({ format: 'uuid' }),
  name: Type.String(),
  scope: KeyScope,
  prefix: Type.String({ description: 'The first characters of the secret, for recognising it.' }),
  status: Type.Union([Type.Literal('active'), Type.Literal('revoked')]),
  createdBy: Type.Union(
    [Type.Object({ id: Type.String({ format: 'uuid' }), name: Type.String() }), Type.Null()],
    {
      description:
        'The member who created it; null when the operator did (CLI). Keys belong to the project and outlive their creator’s membership: rotate those of a member who leaves.',
    },
  ),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  rotatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  origins: Type.Optional(
    Type.Array(Type.String(), {
      description: 'Public keys only: the normalised origins page views are accepted from.',
    }),
  ),
  publishableKey: Type.Optional(
    Type.String({
      description: 'Public keys only: the key itself. It is meant for web pages, so it is shown.',
    }),
  ),
  snippet: Type.Optional(
    Type.String({
      description: 'Public keys only: the <script> tag to put on every page of the site.',
      examples: [
        '<script defer src="https://metrics.example.com/track.js" data-key="mly_3kTz9Qw0bX1c2V4n5M6a7S8d9F0g1H2j"></script>',
      ],
    }),
  ),
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

export const KEY_EXAMPLE: ApiKey = {
  id: '0b9d6c1e-4a47-4c1e-9a55-6f1f2b6f3c10',
  projectId: '6a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d',
  name: 'Production backend',
  scope: 'ingest',
  prefix: 'mly_3kTz9Q',
  status: 'active',
  createdBy: { id: '8d5e2f1a-6b3c-4d7e-9f0a-1b2c3d4e5f60', name: 'Ada Lovelace' },
  createdAt: '2026-11-01T09:00:00.000Z',
  lastUsedAt: '2026-11-28T11:59:30.000Z',
  rotatedAt: null,
  revokedAt: null,
};

export const PUBLIC_KEY_EXAMPLE: ApiKey = {
  ...KEY_EXAMPLE,
  id: '7d2e4f6a-8b0c-4d1e-a3f5-b7c9d1e3f5a7',
  name: 'Website',
  scope: 'public',
  prefix: 'mly_8pLm2R',
  lastUsedAt: null,
  origins: ['https://example.com', 'https://*.example.com'],
  publishableKey: 'mly_8pLm2Rq4sT6uV8wX0yZ1aB3cD5eF7gH',
  snippet:
    '<script defer src="https://metrics.example.com/track.js" data-key="mly_8pLm2Rq4sT6uV8wX0yZ1aB3cD5eF7gH"></script>',
};
