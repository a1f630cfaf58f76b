import {
  Alert,
  Anchor,
  Button,
  Group,
  PasswordInput,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { isNotEmpty, useForm } from '@mantine/form';
import { IconClockExclamation } from '@tabler/icons-react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { ErrorAlert } from '../components/error-alert';
import { safeNext } from '../lib/auth-paths';
import { usePageTitle } from '../lib/use-page-title';
import { useSignedInUser, useSignIn } from '../queries/auth';

export function SignInPage() {
  usePageTitle('Sign in');
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const expired = params.get('reason') === 'expired';
  const givenEmail = params.get('email') ?? '';
  const navigate = useNavigate();
  const signIn = useSignIn();
  const signedIn = useSignedInUser();
  const form = useForm({
    // Filled in when a page sends someone to sign in with a known address (an invitation).
    initialValues: { email: givenEmail, password: '' },
    validate: {
      email: isNotEmpty('Enter your e-mail address'),
      password: isNotEmpty('Enter your password'),
    },
  });

  if (signedIn !== undefined) return <Navigate to={next} replace />;

  const keepNext = next === '/' ? '' : `?next=${encodeURIComponent(next)}`;
  return (
    <form
      onSubmit={form.onSubmit((values) =>
        signIn.mutate(
          { email: values.email.trim(), password: values.password },
          { onSuccess: () => void navigate(next, { replace: true }) },
        ),
      )}
      noValidate
    >
      <Stack gap="lg">
        <div>
          <Title order={2} fz={24}>
            Sign in
          </Title>
          <Text c="dimmed" size="sm" mt={4}>
            Welcome back. Your metrics are waiting.
          </Text>
        </div>
        {expired && (
          <Alert color="yellow" variant="light" icon={<IconClockExclamation size={20} />}>
            Your session has ended. Sign in again to continue where you left off.
          </Alert>
        )}
        <TextInput
          label="E-mail"
          type="email"
          autoComplete="email"
          placeholder="you@example.com"
          autoFocus={givenEmail === ''}
          {...form.getInputProps('email')}
        />
        <Stack gap={6}>
          <PasswordInput
            label="Password"
            autoComplete="current-password"
            autoFocus={givenEmail !== ''}
            {...form.getInputProps('password')}
          />
          <Group justify="flex-end">
            <Anchor component={Link} to="/forgot-password" size="sm">
              Forgot your password?
            </Anchor>
          </Group>
        </Stack>
        {signIn.isError && <ErrorAlert error={signIn.error} />}
        <Button type="submit" fullWidth size="md" loading={signIn.isPending}>
          Sign in
        </Button>
        <Text size="sm" ta="center" c="dimmed">
          New to Measurely?{' '}
          <Anchor component={Link} to={`/sign-up${keepNext}`} fw={500}>
            Create an account
          </Anchor>
        </Text>
      </Stack>
    </form>
  );
}
