import { type Static, Type } from '@sinclair/typebox';

export const ROLES = ['owner', 'admin', 'developer', 'guest'] as const;
export const Role = Type.Union(
  ROLES.map((r) => Type.Literal(r)),
  { description: 'owner and admin manage the project; developer and guest read it.' },
);

export const ProjectName = Type.String({ minLength: 1, maxLength: 100, examples: ['Acme web'] });

export const CreateProjectBody = Type.Object(
  { name: ProjectName },
  { additionalProperties: false },
);
export type CreateProjectBody = Static<typeof CreateProjectBody>;

export const UpdateProjectBody = Type.Object(
  { name: ProjectName },
  { additionalProperties: false },
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
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Project = Static<typeof Project>;

export const AddMemberBody = Type.Object(
  { email: Type.String({ minLength: 3, maxLength: 254 }), role: Role },
  { additionalProperties: false },
);
export type AddMemberBody = Static<typeof AddMemberBody>;

export const UpdateMemberBody = Type.Object({ role: Role }, { additionalProperties: false });

export const Member = Type.Object({
  userId: Type.String({ format: 'uuid' }),
  email: Type.String(),
  name: Type.String(),
  role: Role,
  joinedAt: Type.String({ format: 'date-time' }),
});
export type Member = Static<typeof Member>;
