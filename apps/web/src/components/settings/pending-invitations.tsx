import { Avatar, Badge, Box, Button, Divider, Group, Stack, Text } from '@mantine/core';
import { IconMail } from '@tabler/icons-react';
import { Fragment, useState } from 'react';
import type { Invitation } from '../../api/types';
import { formatDateTime, formatRelative } from '../../lib/format';
import { notifySuccess } from '../../lib/notify';
import { useInvitations, useWithdrawInvitation } from '../../queries/invitations';
import { ConfirmDelete } from '../confirm-delete';
import { ErrorAlert } from '../error-alert';
import { RoleBadge } from './role-badge';

function InvitationRow({
  invitation,
  onWithdraw,
}: {
  invitation: Invitation;
  onWithdraw: () => void;
}) {
  const by = invitation.invitedBy ?? 'a former member';
  return (
    <Group justify="space-between" gap="sm" wrap="wrap" py={4}>
      <Group gap="sm" wrap="nowrap" miw={0} style={{ flex: '1 1 16rem' }}>
        <Avatar radius="xl" size={36} color="gray" variant="light" aria-hidden>
          <IconMail size={18} stroke={1.6} />
        </Avatar>
        <Box miw={0}>
          <Text size="sm" fw={600} truncate title={invitation.email}>
            {invitation.email}
          </Text>
          <Text size="xs" c="dimmed">
            Invited by {by} ·{' '}
            <span title={formatDateTime(invitation.expiresAt)}>
              expires {formatRelative(invitation.expiresAt)}
            </span>
          </Text>
        </Box>
      </Group>
      <Group gap="xs" wrap="nowrap" ml={{ base: 46, xs: 0 }}>
        <RoleBadge role={invitation.role} />
        <Button
          size="compact-sm"
          variant="default"
          aria-label={`Withdraw the invitation of ${invitation.email}`}
          onClick={onWithdraw}
        >
          Withdraw
        </Button>
      </Group>
    </Group>
  );
}

/**
 * The invitations not yet accepted (owners and admins only), each withdrawable. Nothing at all
 * when there are none: the invite form says what inviting does.
 */
export function PendingInvitations({
  projectId,
  onWithdrawn,
}: {
  projectId: string;
  /** After an invitation is withdrawn: its link, if still shown, no longer works. */
  onWithdrawn: (invitationId: string) => void;
}) {
  const invitations = useInvitations(projectId);
  const withdraw = useWithdrawInvitation(projectId);
  const [asking, setAsking] = useState<Invitation | null>(null);
  // Kept while the dialog fades out.
  const [shown, setShown] = useState<Invitation | null>(null);
  if (asking !== null && asking !== shown) setShown(asking);

  if (invitations.isPending) return null;
  if (invitations.isError) {
    return (
      <ErrorAlert
        error={invitations.error}
        title="Could not load the pending invitations"
        onRetry={() => void invitations.refetch()}
      />
    );
  }
  if (invitations.data.length === 0 && shown === null) return null;

  return (
    <>
      {invitations.data.length > 0 && <Divider />}
      {invitations.data.length > 0 && (
        <Stack gap={4}>
          <Group gap="xs">
            <Text size="sm" fw={600} component="h3" m={0}>
              Pending invitations
            </Text>
            <Badge size="sm" variant="light" color="gray" circle>
              {invitations.data.length}
            </Badge>
          </Group>
          {invitations.data.map((invitation, index) => (
            <Fragment key={invitation.id}>
              {index > 0 && <Divider />}
              <InvitationRow invitation={invitation} onWithdraw={() => setAsking(invitation)} />
            </Fragment>
          ))}
        </Stack>
      )}
      <ConfirmDelete
        opened={asking !== null}
        onClose={() => setAsking(null)}
        title="Withdraw this invitation?"
        confirmLabel="Withdraw invitation"
        onConfirm={async () => {
          if (shown === null) return;
          await withdraw.mutateAsync(shown.id);
          onWithdrawn(shown.id);
          notifySuccess(`The link sent to ${shown.email} no longer works.`, 'Invitation withdrawn');
        }}
      >
        The link sent to <b>{shown?.email}</b> will stop working at once. You can invite them again
        later.
      </ConfirmDelete>
    </>
  );
}
