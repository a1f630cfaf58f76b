import { Badge, Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { hasLength, isNotEmpty, matchesField, useForm } from '@mantine/form';
import { isApiError } from '../api/client';
import type { User } from '../api/types';
import { ErrorAlert } from '../components/error-alert';
import { PageHeader } from '../components/page-header';
import { PageLoader } from '../components/page-loader';
import { SectionCard } from '../components/section-card';
import { formErrors } from '../lib/describe-error';
import { formatDate } from '../lib/format';
import { notifySuccess } from '../lib/notify';
import { useChangePassword, useMe, useUpdateProfile } from '../queries/auth';

function Profile({ user }: { user: User }) {
  const update = useUpdateProfile();
  const form = useForm({
    initialValues: { name: user.name },
    validate: { name: hasLength({ min: 1, max: 100 }, 'Use 1 to 100 characters') },
    transformValues: ({ name }) => ({ name: name.trim() }),
  });
  return (
    <form
      onSubmit={form.onSubmit((values) =>
        update.mutate(values, {
          onSuccess: (saved) => {
            form.setValues({ name: saved.name });
            form.resetDirty({ name: saved.name });
            notifySuccess(`Members of your projects now see you as “${saved.name}”.`, 'Name saved');
          },
          onError: (error) => form.setErrors(formErrors(error)),
        }),
      )}
      noValidate
    >
      <SectionCard
        title="Profile"
        description="Your name is shown to the members of your projects."
        footer={
          <Button type="submit" loading={update.isPending} disabled={!form.isDirty()}>
            Save
          </Button>
        }
      >
        <TextInput
          label="Name"
          autoComplete="name"
          maxLength={100}
          {...form.getInputProps('name')}
        />
        <TextInput
          label="E-mail"
          value={user.email}
          readOnly
          description={`You sign in with it. Account created ${formatDate(user.createdAt)}.`}
        />
        {update.isError && <ErrorAlert error={update.error} />}
      </SectionCard>
    </form>
  );
}

function Password() {
  const change = useChangePassword();
  const form = useForm({
    initialValues: { currentPassword: '', newPassword: '', confirm: '' },
    validate: {
      currentPassword: isNotEmpty('Enter your current password'),
      newPassword: hasLength({ min: 8, max: 256 }, 'Use 8 to 256 characters'),
      confirm: matchesField('newPassword', 'The two passwords differ'),
    },
  });
  return (
    <form
      onSubmit={form.onSubmit(({ currentPassword, newPassword }) =>
        change.mutate(
          { currentPassword, newPassword },
          {
            onSuccess: () => {
              form.reset();
              notifySuccess(
                'You stay signed in here; every other browser or device was signed out.',
                'Password changed',
              );
            },
            onError: (error) => {
              if (isApiError(error, 'PASSWORD_INCORRECT')) {
                form.setFieldError('currentPassword', 'This is not your current password.');
              } else {
                form.setErrors(formErrors(error));
              }
            },
          },
        ),
      )}
      noValidate
    >
      <SectionCard
        title="Password"
        description="Changing it keeps you signed in here and signs you out everywhere else: other browsers and devices."
        footer={
          <Button type="submit" loading={change.isPending}>
            Change password
          </Button>
        }
      >
        <PasswordInput
          label="Current password"
          autoComplete="current-password"
          {...form.getInputProps('currentPassword')}
        />
        <PasswordInput
          label="New password"
          autoComplete="new-password"
          description="At least 8 characters."
          {...form.getInputProps('newPassword')}
        />
        <PasswordInput
          label="Repeat the new password"
          autoComplete="new-password"
          {...form.getInputProps('confirm')}
        />
        {change.isError && !isApiError(change.error, 'PASSWORD_INCORRECT') && (
          <ErrorAlert error={change.error} />
        )}
      </SectionCard>
    </form>
  );
}

export function AccountPage() {
  const { data: user } = useMe();
  if (user === undefined) return <PageLoader />;
  return (
    <>
      <PageHeader
        title="Account"
        description="Your profile and your password."
        actions={
          user.isAdmin ? (
            <Badge variant="light" color="violet" size="lg">
              Instance administrator
            </Badge>
          ) : undefined
        }
      />
      <Stack gap="xl" maw={760}>
        <Profile user={user} />
        <Password />
      </Stack>
    </>
  );
}
