import { Button, Group, Select, Stack, Text, TextInput } from '@mantine/core';
import { isEmail, useForm } from '@mantine/form';
import { IconUserPlus } from '@tabler/icons-react';
import { isApiError } from '../../api/client';
import type { Role } from '../../api/types';
import { formErrors } from '../../lib/describe-error';
import { notifySuccess } from '../../lib/notify';
import { ROLE_LABELS } from '../../lib/permissions';
import { useAddMember } from '../../queries/members';
import { ErrorAlert } from '../error-alert';
import { ROLE_DESCRIPTIONS, roleOptions } from './role-badge';

/** Adds someone who already has an account on this instance, by e-mail. */
export function AddMemberForm({
  projectId,
  grantOwner,
}: {
  projectId: string;
  grantOwner: boolean;
}) {
  const add = useAddMember(projectId);
  const form = useForm({
    initialValues: { email: '', role: 'developer' as Role },
    validate: { email: isEmail('Enter an e-mail address') },
    transformValues: ({ email, role }) => ({ email: email.trim(), role }),
  });
  // Field-level codes show under the e-mail; anything else in the alert.
  const fieldCode =
    isApiError(add.error, 'USER_NOT_FOUND') || isApiError(add.error, 'ALREADY_MEMBER');

  return (
    <form
      onSubmit={form.onSubmit((values) =>
        add.mutate(values, {
          onSuccess: (member) => {
            form.reset();
            notifySuccess(
              `${member.name || member.email} is now ${ROLE_LABELS[member.role].toLowerCase()} of the project.`,
              'Member added',
            );
          },
          onError: (error) => {
            if (isApiError(error, 'USER_NOT_FOUND')) {
              form.setFieldError(
                'email',
                'No account uses this e-mail. Ask them to sign up on this instance first.',
              );
            } else if (isApiError(error, 'ALREADY_MEMBER')) {
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
        <Text size="sm" fw={600}>
          Add a member
        </Text>
        <Group gap="sm" align="flex-start" wrap="wrap">
          <TextInput
            aria-label="E-mail"
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
            {...form.getInputProps('role')}
          />
          <Button
            type="submit"
            loading={add.isPending}
            leftSection={<IconUserPlus size={16} />}
            w={{ base: '100%', xs: 'auto' }}
          >
            Add
          </Button>
        </Group>
        <Text size="xs" c="dimmed">
          {ROLE_LABELS[form.values.role]}: {ROLE_DESCRIPTIONS[form.values.role].toLowerCase()}. They
          need an account on this instance already.
        </Text>
        {add.isError && !fieldCode && <ErrorAlert error={add.error} />}
      </Stack>
    </form>
  );
}
