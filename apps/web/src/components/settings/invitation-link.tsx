import { Button, Group, Paper, Stack, Text } from '@mantine/core';
import type { CreatedInvitation } from '../../api/types';
import { ROLE_LABELS } from '../../lib/permissions';
import { SecretField } from '../secret-field';

/**
 * The link of an invitation just made, shown this once: Measurely sends no e-mail, so the
 * inviter copies it and sends it themselves.
 */
export function InvitationLink({
  created,
  onDone,
}: {
  created: CreatedInvitation;
  onDone: () => void;
}) {
  const { invitation, link } = created;
  return (
    <Paper withBorder p="md" role="region" aria-label="Invitation link">
      <Stack gap="sm">
        <Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>
          {invitation.email} is invited as {ROLE_LABELS[invitation.role].toLowerCase()}
        </Text>
        <SecretField
          secret={link}
          label="invitation link"
          notice={
            <>
              Send this link to <b style={{ overflowWrap: 'anywhere' }}>{invitation.email}</b>{' '}
              yourself: Measurely does not e-mail it. It works once, for 7 days, and is shown only
              now.
            </>
          }
        />
        <Group justify="flex-end">
          <Button variant="default" size="xs" onClick={onDone}>
            Done
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
