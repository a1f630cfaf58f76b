import { Type } from '@sinclair/typebox';
import {
  type App,
  BODY_ERRORS,
  MANAGER_ERRORS,
  ProjectParams,
  problems,
  type RouteDeps,
  SECURITY,
  WRITE_ERRORS,
} from '../../http.js';
import {
  AcceptedInvitation,
  AcceptInvitationBody,
  INVITATION_EXAMPLE,
  Invitation,
  InvitationPreview,
  InviteBody,
  LookupInvitationBody,
} from './invitations.schemas.js';

const InvitationParams = Type.Object({
  projectId: Type.String({ description: 'The project’s id.' }),
  invitationId: Type.String({ description: 'The invitation’s id.' }),
});

export async function invitationsRoutes(
  app: App,
  { services, session, config }: RouteDeps,
): Promise<void> {
  const { invitations, accounts } = services;
  const tags = ['Members'];

  app.post(
    '/api/projects/:projectId/invitations',
    {
      schema: {
        tags,
        summary: 'Invite an e-mail address to a project (owner, admin)',
        description:
          'For anyone, with an account or not: the answer holds the link to send them (MEASURELY_PUBLIC_URL/invite?token=…, valid 7 days, once), which is also written to the server log at level warn until e-mail delivery exists. Inviting the same address again replaces its pending invitation. Someone already in the project is 409 ALREADY_MEMBER; only an owner invites an owner (403 FORBIDDEN).',
        params: ProjectParams,
        body: InviteBody,
        response: {
          201: Type.Object(
            {
              invitation: Invitation,
              link: Type.String({ description: 'The link that accepts the invitation.' }),
            },
            {
              description: 'The invitation, and its link (shown once).',
              examples: [
                {
                  invitation: INVITATION_EXAMPLE,
                  link: 'http://127.0.0.1:3000/invite?token=Xb7…',
                },
              ],
            },
          ),
          ...problems(BODY_ERRORS, MANAGER_ERRORS, 'ALREADY_MEMBER'),
        },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      const { invitation, token } = await invitations.invite(
        actor,
        request.params.projectId,
        request.body,
      );
      // From configuration, never from the request's Host header, which the client chooses.
      const link = `${config.publicUrl}/invite?token=${token}`;
      request.log.warn(
        { projectId: invitation.projectId, email: invitation.email },
        `invitation created; send this link to ${invitation.email}: ${link}`,
      );
      return reply.code(201).send({ invitation, link });
    },
  );

  app.get(
    '/api/projects/:projectId/invitations',
    {
      schema: {
        tags,
        summary: 'Pending invitations of a project (owner, admin)',
        description: 'Newest first; expired ones are left out. Their links are never shown again.',
        params: ProjectParams,
        response: {
          200: Type.Object(
            { invitations: Type.Array(Invitation) },
            {
              description: 'The pending invitations.',
              examples: [{ invitations: [INVITATION_EXAMPLE] }],
            },
          ),
          ...problems(MANAGER_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      return { invitations: await invitations.list(actor, request.params.projectId) };
    },
  );

  app.delete(
    '/api/projects/:projectId/invitations/:invitationId',
    {
      schema: {
        tags,
        summary: 'Withdraw an invitation (owner, admin)',
        description: 'Its link stops working at once.',
        params: InvitationParams,
        response: {
          204: Type.Null({ description: 'Withdrawn.' }),
          ...problems(WRITE_ERRORS, MANAGER_ERRORS, 'INVITATION_NOT_FOUND'),
        },
      },
    },
    async (request, reply) => {
      const { actor } = await session.requireUser(request, reply);
      const { projectId, invitationId } = request.params;
      await invitations.withdraw(actor, projectId, invitationId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/invitations/lookup',
    {
      schema: {
        tags,
        security: SECURITY.none,
        summary: 'What an invitation link offers',
        description:
          'For the invitation page, before anyone signs in: the project, the role, the address invited, whether it has an account and whether the link may create it. An invitation whose sender is no longer an owner or admin of the project (or no longer an owner, for the owner role) is 400 INVITATION_INVALID. The token goes in the body, never in a URL of the API.',
        body: LookupInvitationBody,
        response: {
          200: Type.Object(
            { invitation: InvitationPreview },
            { description: 'The pending invitation.' },
          ),
          ...problems(BODY_ERRORS, 'INVITATION_INVALID'),
        },
      },
    },
    async (request) => ({ invitation: await invitations.preview(request.body.token) }),
  );

  app.post(
    '/api/invitations/accept',
    {
      schema: {
        tags,
        security: SECURITY.optionalSession,
        summary: 'Accept an invitation',
        description:
          'Signed in as the invited address: joins the project (200). Signed out: `password` (and `name`) create the account of the invited address, sign it in and join (201) — where sign-ups are closed, only from an invitation of the instance’s administrator (403 SIGNUP_DISABLED otherwise); without a password, 401 UNAUTHENTICATED. Signed in as another address: 403 INVITATION_EMAIL_MISMATCH. A member already keeps their role. The link works once.',
        body: AcceptInvitationBody,
        response: {
          200: { ...AcceptedInvitation, description: 'Joined the project.' },
          201: {
            ...AcceptedInvitation,
            description: 'The account was created, signed in, and joined.',
          },
          ...problems(
            BODY_ERRORS,
            WRITE_ERRORS,
            'INVITATION_INVALID',
            'INVITATION_EMAIL_MISMATCH',
            'UNAUTHENTICATED',
            'EMAIL_TAKEN',
            'SIGNUP_DISABLED',
            'TOO_MANY_ATTEMPTS',
          ),
        },
      },
    },
    async (request, reply) => {
      const token = session.sessionToken(request);
      const current = token === undefined ? undefined : await accounts.authenticate(token);
      const accepted = await invitations.accept(request.body, current?.user, request.ip);
      const { project, role, signedIn } = accepted;
      if (signedIn === undefined) return reply.code(200).send({ project, role });
      session.setSessionCookie(reply, signedIn.token);
      return reply.code(201).send({ project, role, user: signedIn.user });
    },
  );
}
