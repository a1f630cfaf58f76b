import { Button, Group, Select, Stack, Text, TextInput } from '@mantine/core';
import { isEmail, useForm } from '@mantine/form';
import { IconSend } from '@tabler/icons-react';
import { isApiError } from '../../api/client';
import type { CreatedInvitation, Role } from '../../api/types';
import { formErrors } from '../../lib/describe-error';
import { ROLE_LABELS } from '../../lib/permissions';
import { useInvite } from '../../queries/invitations';
import { ErrorAlert } from '../error-alert';
import { ROLE_DESCRIPTIONS, roleOptions } from './role-badge';

export interface InviteFormProps {
  projectId: string;
  grantOwner: boolean;
  /** Addresses with a pending invitation: inviting one again replaces its link. */
  pendingEmails: readonly string[];
  onInvited: (created: CreatedInvitation) => void;
}

/**
 * Invites anyone by e-mail, with or without an account on this instance: the answer's link is
 * theirs to accept (shown by the caller, once).
 */
export function InviteForm({ projectId, grantOwner, pendingEmails, onInvited }: InviteFormProps) {
  const invite = useInvite(projectId);
  const form = useForm({
    initialValues: { email: '', role: 'developer' as Role },
    validate: { email: isEmail('Enter an e-mail address') },
    transformValues: ({ email, role }) => ({ email: email.trim(), role }),
  });
  const typed = form.values.email.trim().toLowerCase();
  const replaces = typed !== '' && pendingEmails.some((e) => e.toLowerCase() === typed);
  // ALREADY_MEMBER shows under the e-mail; anything else in the alert.
  const fieldCode = isApiError(invite.error, 'ALREADY_MEMBER');

  return (
    <form
      onSubmit={form.onSubmit((values) =>
        invite.mutate(values, {
          onSuccess: (created) => {
            form.reset();
            onInvited(created);
          },
          onError: (error) => {
            if (isApiError(error, 'ALREADY_MEMBER')) {
              form.setFieldError('email', 'Already a member of this project.');
            } else {
              form.setErrors(formErrors(error));
            }
          },
        }),
      )}
      noValidate
    >
      <Stack gap="xs">
        <Text size="sm" fw={600} component="h3" m={0}>
          Invite someone
        </Text>
        <Group gap="sm" align="flex-start" wrap="wrap">
          <TextInput
            aria-label="E-mail to invite"
            placeholder="colleague@example.com"
            type="email"
            autoComplete="off"
            style={{ flex: '1 1 14rem' }}
            {...form.getInputProps('email')}
          />
          <Select
            aria-label="Role"
            data={roleOptions(grantOwner)}
            allowDeselect={false}
            w={{ base: '100%', xs: 150 }}
            style={{ flex: '0 0 auto' }}
            comboboxProps={{ withinPortal: true }}
            {...form.getInputProps('role')}
          />
          <Button
            type="submit"
            loading={invite.isPending}
            leftSection={<IconSend size={16} />}
            w={{ base: '100%', xs: 'auto' }}
          >
            Invite
          </Button>
        </Group>
        <Text size="xs" c="dimmed">
          {ROLE_LABELS[form.values.role]}: {ROLE_DESCRIPTIONS[form.values.role].toLowerCase()}.{' '}
          {replaces
            ? 'This address has a pending invitation: a new one replaces it, and its old link stops working.'
            : 'You get a link to send them; they join with their account on this instance, or create one.'}
        </Text>
        {invite.isError && !fieldCode && <ErrorAlert error={invite.error} />}
      </Stack>
    </form>
  );
}
