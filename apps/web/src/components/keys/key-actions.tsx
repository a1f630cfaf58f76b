import { ActionIcon, Menu } from '@mantine/core';
import { IconBan, IconDots, IconRefresh } from '@tabler/icons-react';
import type { ApiKey } from '../../api/types';

export interface KeyActionsProps {
  apiKey: ApiKey;
  onRotate: (key: ApiKey) => void;
  onRevoke: (key: ApiKey) => void;
}

/** Rotate and revoke, for an active key; a revoked key has none. */
export function KeyActions({ apiKey, onRotate, onRevoke }: KeyActionsProps) {
  if (apiKey.status !== 'active') return null;
  return (
    <Menu position="bottom-end" withinPortal shadow="md">
      <Menu.Target>
        <ActionIcon variant="subtle" color="gray" aria-label={`Actions for ${apiKey.name}`}>
          <IconDots size={18} />
        </ActionIcon>
      </Menu.Target>
      <Menu.Dropdown>
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
