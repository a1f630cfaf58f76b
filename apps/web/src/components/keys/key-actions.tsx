import { ActionIcon, Menu } from '@mantine/core';
import { IconBan, IconDots, IconRefresh, IconWorld } from '@tabler/icons-react';
import type { ApiKey } from '../../api/types';

export interface KeyActionsProps {
  apiKey: ApiKey;
  onRotate: (key: ApiKey) => void;
  onRevoke: (key: ApiKey) => void;
  /** Public keys: change where the tracker accepts them from. */
  onEditOrigins?: ((key: ApiKey) => void) | undefined;
}

/** Rotate and revoke (and, for a public key, its origins), for an active key; a revoked key has none. */
export function KeyActions({ apiKey, onRotate, onRevoke, onEditOrigins }: KeyActionsProps) {
  if (apiKey.status !== 'active') return null;
  return (
    <Menu position="bottom-end" withinPortal shadow="md">
      <Menu.Target>
        <ActionIcon variant="subtle" color="gray" aria-label={`Actions for ${apiKey.name}`}>
          <IconDots size={18} />
        </ActionIcon>
      </Menu.Target>
      <Menu.Dropdown>
        {apiKey.scope === 'public' && onEditOrigins !== undefined && (
          <Menu.Item leftSection={<IconWorld size={16} />} onClick={() => onEditOrigins(apiKey)}>
            Edit allowed origins…
          </Menu.Item>
        )}
        <Menu.Item leftSection={<IconRefresh size={16} />} onClick={() => onRotate(apiKey)}>
          Rotate secret…
        </Menu.Item>
        <Menu.Item color="red" leftSection={<IconBan size={16} />} onClick={() => onRevoke(apiKey)}>
          Revoke…
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
