import { type Static, Type } from '@sinclair/typebox';
import { Email, Password, User } from '../accounts/accounts.schemas.js';
import { Role } from '../projects/projects.schemas.js';

export const InviteBody = Type.Object(
  {
    email: Email,
    role: Role,
  },
  { additionalProperties: false, examples: [{ email: 'grace@example.com', role: 'developer' }] },
);
export type InviteBody = Static<typeof InviteBody>;

export const Invitation = Type.Object({
  id: Type.String({ format: 'uuid' }),
  projectId: Type.String({ format: 'uuid' }),
  email: Type.String(),
  role: Role,
  invitedBy: Type.Union([Type.String(), Type.Null()], {
    description: 'The name of the member who sent it; null once their account is deleted.',
  }),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
});
export type Invitation = Static<typeof Invitation>;

export const INVITATION_EXAMPLE: Invitation = {
  id: '5b1f3c2e-8a4d-4e6f-9b0c-1d2e3f4a5b6c',
  projectId: '3f2a9c1e-7b4d-4e8a-9c6f-2d1e0b3a4c5d',
  email: 'grace@example.com',
  role: 'developer',
  invitedBy: 'Ada Lovelace',
  createdAt: '2026-11-29T12:00:00.000Z',
  expiresAt: '2026-12-06T12:00:00.000Z',
};

export const InvitationToken = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'The token of the invitation link (`…/invite?token=…`).',
});

export const LookupInvitationBody = Type.Object(
  { token: InvitationToken },
  { additionalProperties: false, examples: [{ token: 'Xb7…' }] },
);

/** What the invitation page shows before anyone signs in. */
export const InvitationPreview = Type.Object({
  projectName: Type.String(),
  email: Type.String({ description: 'The address invited: the account that may accept.' }),
  role: Role,
  invitedBy: Type.Union([Type.String(), Type.Null()]),
  expiresAt: Type.String({ format: 'date-time' }),
  hasAccount: Type.Boolean({
    description: 'Whether the address has an account: sign in to accept, or create it.',
  }),
  canCreateAccount: Type.Boolean({
    description:
      'Whether the link may create the account: sign-ups are open, or the instance’s administrator invited. Otherwise the administrator makes the account first.',
  }),
});
export type InvitationPreview = Static<typeof InvitationPreview>;

export const AcceptInvitationBody = Type.Object(
  {
    token: InvitationToken,
    password: Type.Optional(Password),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  {
    additionalProperties: false,
    description:
      'Signed in: the token alone. Without an account: a password (and a name) create the account of the invited address, even where sign-ups are closed.',
    examples: [{ token: 'Xb7…' }, { token: 'Xb7…', password: 'correct horse battery' }],
  },
);
export type AcceptInvitationBody = Static<typeof AcceptInvitationBody>;

export const AcceptedInvitation = Type.Object({
  project: Type.Object({ id: Type.String({ format: 'uuid' }), name: Type.String() }),
  role: Role,
  user: Type.Optional(User),
});
export type AcceptedInvitation = Static<typeof AcceptedInvitation>;
