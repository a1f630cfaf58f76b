import { Anchor, Button, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { hasLength, matchesField, useForm } from '@mantine/form';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { isApiError } from '../api/client';
import { ErrorAlert } from '../components/error-alert';
import { notifySuccess } from '../lib/notify';
import { usePageTitle } from '../lib/use-page-title';
import { useResetPassword } from '../queries/auth';

export function ResetPasswordPage() {
  usePageTitle('Choose a new password');
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const navigate = useNavigate();
  const reset = useResetPassword();
  const form = useForm({
    initialValues: { password: '', confirm: '' },
    validate: {
      password: hasLength({ min: 8, max: 256 }, 'Use 8 to 256 characters'),
      confirm: matchesField('password', 'The two passwords differ'),
    },
  });

  if (token === '') {
    return (
      <Stack gap="md">
        <Title order={2} fz={24}>
          This link is incomplete
        </Title>
        <Text size="sm">Open the whole link from the message, or ask for a new one.</Text>
        <Button component={Link} to="/forgot-password" variant="light">
          Ask for a new link
        </Button>
      </Stack>
    );
  }

  return (
    <form
      onSubmit={form.onSubmit(({ password }) =>
        reset.mutate(
          { token, password },
          {
            onSuccess: () => {
              notifySuccess('Your password was changed, and you are signed in.');
              void navigate('/', { replace: true });
            },
          },
        ),
      )}
      noValidate
    >
      <Stack gap="lg">
        <div>
          <Title order={2} fz={24}>
            Choose a new password
          </Title>
          <Text c="dimmed" size="sm" mt={4}>
            Every other session of your account will be signed out.
          </Text>
        </div>
        <PasswordInput
          label="New password"
          autoComplete="new-password"
          description="At least 8 characters."
          autoFocus
          {...form.getInputProps('password')}
        />
        <PasswordInput
          label="Repeat it"
          autoComplete="new-password"
          {...form.getInputProps('confirm')}
        />
        {reset.isError && <ErrorAlert error={reset.error} />}
        {isApiError(reset.error, 'RESET_TOKEN_INVALID') && (
          <Anchor component={Link} to="/forgot-password" size="sm" fw={500}>
            Ask for a new link
          </Anchor>
        )}
        <Button type="submit" fullWidth size="md" loading={reset.isPending}>
          Set the new password
        </Button>
      </Stack>
    </form>
  );
}
