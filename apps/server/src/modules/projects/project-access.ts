import { AppError } from '../../errors.js';
import type { Actor } from '../../lib/actor.js';
import type { ProjectRow, Role } from '../../storage/schema.js';
import type { ProjectsRepo } from './projects.repo.js';

/** read: any member · manage: owner or admin · own: owner only. */
export type Permission = 'read' | 'manage' | 'own';

const ALLOWED: Record<Permission, readonly Role[]> = {
  read: ['owner', 'admin', 'developer', 'guest'],
  manage: ['owner', 'admin'],
  own: ['owner'],
};

export interface ProjectAccess {
  readonly project: ProjectRow;
  /** The actor's role; the command-line operator acts as an owner. */
  readonly role: Role;
}

/**
 * The one place that decides who may do what in a project. Someone outside the project gets
 * PROJECT_NOT_FOUND, whether it exists or not; a member without the right gets FORBIDDEN.
 */
export function createProjectAccess(repo: ProjectsRepo) {
  return async function authorize(
    actor: Actor,
    projectId: string,
    permission: Permission,
  ): Promise<ProjectAccess> {
    const notFound = new AppError(
      'PROJECT_NOT_FOUND',
      `No project ${projectId} is visible to you.`,
    );
    const project = await repo.findProject(projectId);
    if (project === undefined) throw notFound;
    if (actor.kind === 'key') {
      // A read key sees its own project as a guest would, and no other.
      if (actor.projectId !== projectId) throw notFound;
      if (permission !== 'read') {
        throw new AppError('KEY_SCOPE_FORBIDDEN', 'An API key can only read; sign in to do this.');
      }
      return { project, role: 'guest' };
    }
    const role = actor.kind === 'operator' ? 'owner' : await repo.findRole(projectId, actor.userId);
    if (role === undefined) throw notFound;
    if (!ALLOWED[permission].includes(role)) {
      throw new AppError(
        'FORBIDDEN',
        `This needs the ${ALLOWED[permission].join(' or ')} role; you are ${role}.`,
      );
    }
    return { project, role };
  };
}

export type Authorize = ReturnType<typeof createProjectAccess>;
