import { Badge } from '@mantine/core';
import type { Role } from '../../api/types';
import { ROLE_LABELS } from '../../lib/permissions';

// Light badges whose text reads at 4.5:1 or more on their background (teal reads at 4.3:1).
export const ROLE_COLORS: Record<Role, string> = {
  owner: 'violet',
  admin: 'blue',
  developer: 'cyan',
  guest: 'gray',
};

/** What each role may do, for pickers. */
export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  owner: 'Everything, including deleting the project and making owners',
  admin: 'Manages metrics, API keys and members',
  developer: 'Sees metrics and keys; changes nothing',
  guest: 'Sees metrics and keys; changes nothing',
};

export function RoleBadge({ role }: { role: Role }) {
  return (
    <Badge variant="light" color={ROLE_COLORS[role]} style={{ flexShrink: 0 }}>
      {ROLE_LABELS[role]}
    </Badge>
  );
}

/** Roles for a Select; only an owner may hand out the owner role. */
export function roleOptions(grantOwner: boolean) {
  return (['owner', 'admin', 'developer', 'guest'] as const).map((role) => ({
    value: role,
    label: ROLE_LABELS[role],
    disabled: role === 'owner' && !grantOwner,
  }));
}
