import { type Static, Type } from '@sinclair/typebox';

export const ROLES = ['owner', 'admin', 'developer', 'guest'] as const;
export const Role = Type.Union(
  ROLES.map((r) => Type.Literal(r)),
  { description: 'owner and admin manage the project; developer and guest read it.' },
);

export const ProjectName = Type.String({ minLength: 1, maxLength: 100, examples: ['Acme web'] });

export const CreateProjectBody = Type.Object(
  { name: ProjectName },
  { additionalProperties: false, examples: [{ name: 'Acme web' }] },
);
export type CreateProjectBody = Static<typeof CreateProjectBody>;

export const HonourPrivacySignals = Type.Boolean({
  description:
    'Website tracker: drop page views from browsers that send Global Privacy Control (Sec-GPC: 1) or Do Not Track (DNT: 1). On by default.',
});

export const UpdateProjectBody = Type.Object(
  { name: Type.Optional(ProjectName), honourPrivacySignals: Type.Optional(HonourPrivacySignals) },
  {
    additionalProperties: false,
    minProperties: 1,
    examples: [{ name: 'Acme shop' }, { honourPrivacySignals: false }],
  },
);
export type UpdateProjectBody = Static<typeof UpdateProjectBody>;

export const Usage = Type.Object({
  month: Type.String({ description: 'UTC month, YYYY-MM.', examples: ['2026-11'] }),
  events: Type.Integer({ description: 'Events accepted this month.' }),
  quota: Type.Union([Type.Integer(), Type.Null()], {
    description: 'Events allowed per UTC month; null for unlimited.',
  }),
});

export const Limits = Type.Object({
  rateLimitPerSecond: Type.Integer({ description: 'Events per second per API key.' }),
  monthlyEventQuota: Type.Union([Type.Integer(), Type.Null()], {
    description: 'Events per UTC month; null for unlimited.',
  }),
  maxQueryRangeDays: Type.Union([Type.Integer(), Type.Null()], {
    description: 'Longest range a chart or export may span, in days; null for unlimited.',
  }),
});
export type Limits = Static<typeof Limits>;

export const Project = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  role: Role,
  usage: Usage,
  limits: Limits,
  honourPrivacySignals: HonourPrivacySignals,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Project = Static<typeof Project>;

export const AddMemberBody = Type.Object(
  {
    email: Type.String({
      minLength: 3,
      maxLength: 254,
      description: 'The e-mail of an existing account (404 USER_NOT_FOUND otherwise).',
    }),
    role: Role,
  },
  { additionalProperties: false, examples: [{ email: 'grace@example.com', role: 'developer' }] },
);
export type AddMemberBody = Static<typeof AddMemberBody>;

export const UpdateMemberBody = Type.Object(
  { role: Role },
  { additionalProperties: false, examples: [{ role: 'admin' }] },
);

export const Member = Type.Object({
  userId: Type.String({ format: 'uuid' }),
  email: Type.String(),
  name: Type.String(),
  role: Role,
  joinedAt: Type.String({ format: 'date-time' }),
});
export type Member = Static<typeof Member>;

export const PROJECT_EXAMPLE: Project = {
  id: '6a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d',
  name: 'Acme web',
  role: 'owner',
  usage: { month: '2026-11', events: 48_210, quota: null },
  limits: { rateLimitPerSecond: 1000, monthlyEventQuota: null, maxQueryRangeDays: null },
  honourPrivacySignals: true,
  createdAt: '2026-11-01T09:00:00.000Z',
  updatedAt: '2026-11-01T09:00:00.000Z',
};

export const MEMBER_EXAMPLE: Member = {
  userId: '2c4e6a8b-0d1f-4a3b-9c5d-7e9f1a3b5c7d',
  email: 'grace@example.com',
  name: 'Grace Hopper',
  role: 'developer',
  joinedAt: '2026-11-02T14:30:00.000Z',
};
