import { Avatar, Menu, Text, UnstyledButton } from '@mantine/core';
import { IconLogout, IconUserCircle } from '@tabler/icons-react';
import { Link } from 'react-router';
import { avatarColor } from '../lib/format';
import { notifyError } from '../lib/notify';
import { useMe, useSignOut } from '../queries/auth';

/** The letters Mantine's Avatar shows for a name: the first of its first two words. */
function initialsOf(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => word[0]?.toUpperCase() ?? '')
    .join('');
}

/** The avatar on the right of the top bar: who is signed in, account settings, sign out. */
export function UserMenu() {
  const { data: user } = useMe();
  const signOut = useSignOut();
  if (user === undefined) return null;

  const onSignOut = () =>
    signOut.mutate(undefined, { onError: (error) => notifyError(error, 'Could not sign out') });

  return (
    <Menu position="bottom-end" width={260}>
      <Menu.Target>
        <UnstyledButton
          aria-label={`${initialsOf(user.name || user.email)}: account menu`}
          style={{ borderRadius: '50%' }}
        >
          <Avatar
            color={avatarColor(user.name || user.email)}
            name={user.name || user.email}
            radius="xl"
            size={34}
          />
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>
          <Text size="sm" fw={600} c="var(--mantine-color-text)" truncate="end">
            {user.name || 'Signed in'}
          </Text>
          <Text size="xs" c="dimmed" truncate="end">
            {user.email}
          </Text>
        </Menu.Label>
        <Menu.Divider />
        <Menu.Item
          component={Link}
          to="/account"
          leftSection={<IconUserCircle size={16} stroke={1.6} />}
        >
          Account settings
        </Menu.Item>
        <Menu.Item
          color="red"
          leftSection={<IconLogout size={16} stroke={1.6} />}
          onClick={onSignOut}
          disabled={signOut.isPending}
        >
          Sign out
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
