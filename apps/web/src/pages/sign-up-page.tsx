import { Anchor, Button, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { hasLength, isEmail, useForm } from '@mantine/form';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { ErrorAlert } from '../components/error-alert';
import { safeNext } from '../lib/auth-paths';
import { formErrors } from '../lib/describe-error';
import { usePageTitle } from '../lib/use-page-title';
import { useSignedInUser, useSignUp } from '../queries/auth';

export function SignUpPage() {
  usePageTitle('Create your account');
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const navigate = useNavigate();
  const signUp = useSignUp();
  const signedIn = useSignedInUser();
  const form = useForm({
    initialValues: { name: '', email: '', password: '' },
    validate: {
      name: hasLength({ max: 100 }, 'At most 100 characters'),
      email: isEmail('Enter a valid e-mail address'),
      password: hasLength({ min: 8, max: 256 }, 'Use 8 to 256 characters'),
    },
  });

  if (signedIn !== undefined) return <Navigate to={next} replace />;

  const keepNext = next === '/' ? '' : `?next=${encodeURIComponent(next)}`;
  return (
    <form
      onSubmit={form.onSubmit(({ name, email, password }) =>
        signUp.mutate(
          { email: email.trim(), password, ...(name.trim() === '' ? {} : { name: name.trim() }) },
          {
            onSuccess: () => void navigate(next, { replace: true }),
            onError: (error) => form.setErrors(formErrors(error)),
          },
        ),
      )}
      noValidate
    >
      <Stack gap="lg">
        <div>
          <Title order={2} fz={24}>
            Create your account
          </Title>
          <Text c="dimmed" size="sm" mt={4}>
            Track the numbers that matter, on your own server.
          </Text>
        </div>
        <TextInput
          label="Name"
          autoComplete="name"
          placeholder="Ada Lovelace"
          description="Optional; shown to your teammates."
          autoFocus
          {...form.getInputProps('name')}
        />
        <TextInput
          label="E-mail"
          type="email"
          autoComplete="email"
          placeholder="you@example.com"
          withAsterisk
          {...form.getInputProps('email')}
        />
        <PasswordInput
          label="Password"
          autoComplete="new-password"
          description="At least 8 characters."
          withAsterisk
          {...form.getInputProps('password')}
        />
        {signUp.isError && <ErrorAlert error={signUp.error} />}
        <Button type="submit" fullWidth size="md" loading={signUp.isPending}>
          Create account
        </Button>
        <Text size="sm" ta="center" c="dimmed">
          Already have an account?{' '}
          <Anchor component={Link} to={`/sign-in${keepNext}`} fw={500}>
            Sign in
          </Anchor>
        </Text>
      </Stack>
    </form>
  );
}
