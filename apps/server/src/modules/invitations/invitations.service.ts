import { AppError } from '../../errors.js';
import type { Actor } from '../../lib/actor.js';
import type { Clock } from '../../lib/clock.js';
import { generateSessionToken, newId, sha256Hex } from '../../lib/tokens.js';
import { validate } from '../../lib/validate.js';
import type { AccountsService, SignedIn } from '../accounts/accounts.service.js';
import { normaliseEmail } from '../accounts/accounts.service.js';
import type { Authorize } from '../projects/project-access.js';
import type { ProjectsService } from '../projects/projects.service.js';
import type { InvitationRow, InvitationsRepo, InvitationView } from './invitations.repo.js';
import {
  AcceptInvitationBody,
  type Invitation,
  type InvitationPreview,
  InviteBody,
} from './invitations.schemas.js';

/** How long an invitation link works. */
export const INVITATION_TTL_MS = 7 * 86_400_000;

function toInvitation(row: InvitationRow & { invitedByName: string | null }): Invitation {
  return {
    id: row.id,
    projectId: row.projectId,
    email: row.email,
    role: row.role,
    invitedBy: row.invitedByName,
    createdAt: new Date(row.createdAt).toISOString(),
    expiresAt: new Date(row.expiresAt).toISOString(),
  };
}

function invalid(): AppError {
  return new AppError(
    'INVITATION_INVALID',
    'This invitation is unknown, already used, withdrawn or expired; ask for a new one.',
  );
}

/**
 * Invitations to a project by e-mail address: a manager invites an address with a role, the
 * server hands back a link (and logs it, until e-mail delivery exists), and whoever holds that
 * address's account — existing, or created from the link even where sign-ups are closed —
 * accepts it once, within 7 days.
 */
export function createInvitationsService(deps: {
  repo: InvitationsRepo;
  authorize: Authorize;
  projects: ProjectsService;
  accounts: AccountsService;
  clock: Clock;
  /** MEASURELY_ALLOW_SIGNUP: when false, only the administrator's invitations create accounts. */
  allowSignup: boolean;
}) {
  const { repo, authorize, projects, accounts, clock, allowSignup } = deps;

  /**
   * A pending invitation of the token, whoever asks — as long as its inviter may still grant its
   * role (still an owner or admin of the project; an owner for the owner role): removing or
   * demoting a member ends the invitations they sent.
   */
  async function pending(token: string): Promise<InvitationView> {
    const row = await repo.findByToken(sha256Hex(token), clock.now());
    if (row === undefined) throw invalid();
    const inviter =
      row.invitedBy === null ? undefined : await projects.roleOf(row.projectId, row.invitedBy);
    const mayGrant = inviter === 'owner' || (inviter === 'admin' && row.role !== 'owner');
    if (!mayGrant) throw invalid();
    return row;
  }

  /**
   * Whether the link may create the invited address's account: where sign-ups are open, or when
   * the instance's administrator sent it (anyone can make a project and invite to it).
   */
  async function mayCreateAccount(row: InvitationRow): Promise<boolean> {
    if (allowSignup) return true;
    return row.invitedBy !== null && (await accounts.isAdministrator(row.invitedBy));
  }

  return {
    /**
     * Invites an address (owners and admins; only an owner invites an owner): the invitation
     * and the token of its link. A new invitation of the same address replaces the pending one.
     */
    async invite(
      actor: Actor,
      projectId: string,
      input: InviteBody,
    ): Promise<{ invitation: Invitation; token: string }> {
      const access = await authorize(actor, projectId, 'manage');
      const body = validate(InviteBody, input);
      if (body.role === 'owner' && access.role !== 'owner') {
        throw new AppError('FORBIDDEN', 'Only an owner can invite another owner.');
      }
      const email = normaliseEmail(body.email);
      const replaced = await repo.findPending(projectId, email, clock.now());
      if (replaced?.role === 'owner' && access.role !== 'owner') {
        throw new AppError(
          'FORBIDDEN',
          'Only an owner can replace an invitation to be an owner; ask an owner to withdraw it.',
        );
      }
      const existing = await accounts.findUserByEmail(email);
      if (existing !== undefined && (await projects.roleOf(projectId, existing.id)) !== undefined) {
        throw new AppError('ALREADY_MEMBER', `${email} is already a member of this project.`);
      }
      const { token } = generateSessionToken();
      const now = clock.now();
      const row: InvitationRow = {
        id: newId(),
        projectId,
        email,
        role: body.role,
        tokenHash: sha256Hex(token),
        invitedBy: actor.kind === 'user' ? actor.userId : null,
        createdAt: now,
        expiresAt: now + INVITATION_TTL_MS,
      };
      await repo.replaceInvitation(row);
      const stored = await repo.findInvitation(row.id);
      if (stored === undefined) throw invalid();
      return { invitation: toInvitation(stored), token };
    },

    /** The project's pending invitations (owners and admins). */
    async list(actor: Actor, projectId: string): Promise<Invitation[]> {
      await authorize(actor, projectId, 'manage');
      return (await repo.listInvitations(projectId, clock.now())).map(toInvitation);
    },

    /** Withdraws an invitation: its link stops working (owners and admins). */
    async withdraw(actor: Actor, projectId: string, invitationId: string): Promise<void> {
      const access = await authorize(actor, projectId, 'manage');
      const row = await repo.findInvitation(invitationId);
      if (row === undefined || row.projectId !== projectId) {
        throw new AppError(
          'INVITATION_NOT_FOUND',
          `No invitation ${invitationId} in this project.`,
        );
      }
      if (row.role === 'owner' && access.role !== 'owner') {
        throw new AppError('FORBIDDEN', 'Only an owner can withdraw an invitation to be an owner.');
      }
      if (!(await repo.deleteInvitation(projectId, invitationId))) {
        throw new AppError(
          'INVITATION_NOT_FOUND',
          `No invitation ${invitationId} in this project.`,
        );
      }
    },

    /** What the invitation page shows, to anyone holding the link. */
    async preview(token: string): Promise<InvitationPreview> {
      const row = await pending(token);
      return {
        projectName: row.projectName,
        email: row.email,
        role: row.role,
        invitedBy: row.invitedByName,
        expiresAt: new Date(row.expiresAt).toISOString(),
        hasAccount: (await accounts.findUserByEmail(row.email)) !== undefined,
        canCreateAccount: await mayCreateAccount(row),
      };
    },

    /**
     * Accepts an invitation: as the signed-in `user`, who must hold the invited address, or,
     * with no one signed in, by creating that address's account with `password`. The link is
     * then used up. A member already keeps their role.
     */
    async accept(
      input: AcceptInvitationBody,
      user: { id: string; email: string } | undefined,
      ip: string,
    ): Promise<{
      project: { id: string; name: string };
      role: InvitationRow['role'];
      signedIn?: SignedIn;
    }> {
      const body = validate(AcceptInvitationBody, input);
      const row = await pending(body.token);
      let userId: string;
      let signedIn: SignedIn | undefined;
      if (user !== undefined) {
        if (normaliseEmail(user.email) !== row.email) {
          throw new AppError(
            'INVITATION_EMAIL_MISMATCH',
            `This invitation is for ${row.email}; sign in with that account to accept it.`,
          );
        }
        userId = user.id;
      } else {
        if (body.password === undefined) {
          throw new AppError(
            'UNAUTHENTICATED',
            `Sign in as ${row.email} to accept, or give a password to create that account.`,
          );
        }
        signedIn = await accounts.signUp(
          {
            email: row.email,
            password: body.password,
            ...(body.name === undefined ? {} : { name: body.name }),
          },
          ip,
          { invited: await mayCreateAccount(row) },
        );
        userId = signedIn.user.id;
      }
      const taken = await repo.takeByToken(sha256Hex(body.token), clock.now());
      if (taken === undefined) throw invalid();
      const joined = await projects.addInvitedMember(row.projectId, userId, row.role);
      const role = joined ? row.role : ((await projects.roleOf(row.projectId, userId)) ?? row.role);
      return {
        project: { id: row.projectId, name: row.projectName },
        role,
        ...(signedIn === undefined ? {} : { signedIn }),
      };
    },
  };
}

export type InvitationsService = ReturnType<typeof createInvitationsService>;
