import { Anchor, Button, Stack, Text, TextInput, ThemeIcon, Title } from '@mantine/core';
import { isEmail, useForm } from '@mantine/form';
import { IconArrowLeft, IconMailCheck } from '@tabler/icons-react';
import { Link } from 'react-router';
import { ErrorAlert } from '../components/error-alert';
import { usePageTitle } from '../lib/use-page-title';
import { useForgotPassword } from '../queries/auth';

function BackToSignIn() {
  return (
    <Anchor component={Link} to="/sign-in" size="sm" fw={500}>
      <IconArrowLeft size={14} style={{ verticalAlign: -2, marginRight: 4 }} />
      Back to sign in
    </Anchor>
  );
}

export function ForgotPasswordPage() {
  usePageTitle('Forgot your password?');
  const forgot = useForgotPassword();
  const form = useForm({
    initialValues: { email: '' },
    validate: { email: isEmail('Enter a valid e-mail address') },
  });

  if (forgot.isSuccess) {
    return (
      <Stack gap="md" align="flex-start">
        <ThemeIcon size={44} radius="xl" variant="light" color="teal">
          <IconMailCheck size={24} stroke={1.6} />
        </ThemeIcon>
        <Title order={2} fz={24}>
          Check your e-mail
        </Title>
        <Text size="sm">
          If an account exists for <b style={{ overflowWrap: 'anywhere' }}>{forgot.variables}</b>, a
          link to choose a new password was sent. It works once, for one hour.
        </Text>
        <Text size="sm" c="dimmed">
          This server does not send e-mail yet: its administrator finds the link in the server log.
        </Text>
        <BackToSignIn />
      </Stack>
    );
  }

  return (
    <form onSubmit={form.onSubmit(({ email }) => forgot.mutate(email.trim()))} noValidate>
      <Stack gap="lg">
        <div>
          <Title order={2} fz={24}>
            Forgot your password?
          </Title>
          <Text c="dimmed" size="sm" mt={4}>
            Enter your e-mail address and we will send you a link to choose a new one.
          </Text>
        </div>
        <TextInput
          label="E-mail"
          type="email"
          autoComplete="email"
          placeholder="you@example.com"
          autoFocus
          {...form.getInputProps('email')}
        />
        {forgot.isError && <ErrorAlert error={forgot.error} />}
        <Button type="submit" fullWidth size="md" loading={forgot.isPending}>
          Send the link
        </Button>
        <BackToSignIn />
      </Stack>
    </form>
  );
}
