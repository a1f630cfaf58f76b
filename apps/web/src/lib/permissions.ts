import type { Role } from '../api/types';

/**
 * What each role may do in a project, as the server enforces it (README "Roles per project").
 * Hide or disable what the user cannot do; the server refuses it anyway (403 FORBIDDEN).
 */
const ABILITIES = {
  'project.rename': ['owner', 'admin'],
  'project.delete': ['owner'],
  'members.manage': ['owner', 'admin'],
  'members.grantOwner': ['owner'],
  'keys.manage': ['owner', 'admin'],
  'metrics.manage': ['owner', 'admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Ability = keyof typeof ABILITIES;

export function can(role: Role | undefined, ability: Ability): boolean {
  return role !== undefined && (ABILITIES[ability] as readonly Role[]).includes(role);
}

export const ROLE_LABELS: Record<Role, string> = {
  owner: 'Owner',
  admin: 'Admin',
  developer: 'Developer',
  guest: 'Guest',
};
