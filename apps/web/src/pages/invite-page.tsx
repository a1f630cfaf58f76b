import {
  Alert,
  Anchor,
  Button,
  Center,
  Group,
  Loader,
  Paper,
  PasswordInput,
  Stack,
  Text,
  TextInput,
  ThemeIcon,
  Title,
} from '@mantine/core';
import { hasLength, useForm } from '@mantine/form';
import { IconArrowLeft, IconLinkOff, IconLogout, IconUsersPlus } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { isApiError } from '../api/client';
import type { AcceptedInvitation, InvitationPreview, User } from '../api/types';
import { ErrorAlert } from '../components/error-alert';
import { ROLE_DESCRIPTIONS, RoleBadge } from '../components/settings/role-badge';
import { signInPath } from '../lib/auth-paths';
import { formErrors } from '../lib/describe-error';
import { formatDateTime, formatRelative } from '../lib/format';
import { notifyError, notifySuccess } from '../lib/notify';
import { ROLE_LABELS } from '../lib/permissions';
import { usePageTitle } from '../lib/use-page-title';
import { useSession, useSignOutHere } from '../queries/auth';
import { useAcceptInvitation, useInvitationPreview } from '../queries/invitations';

const WRAP = { overflowWrap: 'anywhere' } as const;

/** This page again, for coming back after signing in. */
function invitePath(token: string): string {
  return `/invite?${new URLSearchParams({ token }).toString()}`;
}

/** After joining: the project, saying so. */
function useGoToProject() {
  const navigate = useNavigate();
  return (accepted: AcceptedInvitation) => {
    notifySuccess(
      `You are now ${ROLE_LABELS[accepted.role].toLowerCase()} of ${accepted.project.name}.`,
      'Welcome aboard',
    );
    void navigate(`/projects/${encodeURIComponent(accepted.project.id)}`, { replace: true });
  };
}

function Incomplete() {
  return (
    <Stack gap="md">
      <Title order={2} fz={24}>
        This link is incomplete
      </Title>
      <Text size="sm">
        Open the whole link you were sent, or ask whoever invited you to send it again.
      </Text>
      <Button component={Link} to="/sign-in" variant="light">
        Go to sign in
      </Button>
    </Stack>
  );
}

function Invalid({ signedIn }: { signedIn: boolean }) {
  return (
    <Stack gap="md">
      <ThemeIcon size={44} radius="xl" variant="light" color="gray" aria-hidden>
        <IconLinkOff size={22} stroke={1.6} />
      </ThemeIcon>
      <Title order={2} fz={24}>
        This invitation is no longer valid
      </Title>
      <Text size="sm">
        It was already used, withdrawn or replaced by a newer one, or it is more than 7 days old.
        Ask whoever invited you to send a new link.
      </Text>
      <Button
        component={Link}
        to={signedIn ? '/' : '/sign-in'}
        variant="light"
        leftSection={<IconArrowLeft size={16} />}
      >
        {signedIn ? 'Go to your projects' : 'Go to sign in'}
      </Button>
    </Stack>
  );
}

/** Who invited which address to which project, with which role, until when. */
function Summary({ invitation }: { invitation: InvitationPreview }) {
  return (
    <Stack gap="md">
      <ThemeIcon size={44} radius="xl" variant="light" aria-hidden>
        <IconUsersPlus size={22} stroke={1.6} />
      </ThemeIcon>
      <div>
        <Title order={2} fz={24} style={WRAP}>
          Join {invitation.projectName}
        </Title>
        <Text size="sm" c="dimmed" mt={4} style={WRAP}>
          {invitation.invitedBy ?? 'A member'} invited <b>{invitation.email}</b> to the project{' '}
          <b>{invitation.projectName}</b> on Measurely.
        </Text>
      </div>
      <Paper withBorder p="sm">
        <Stack gap={6}>
          <Group gap="xs" wrap="nowrap" align="flex-start">
            <RoleBadge role={invitation.role} />
            <Text size="xs" c="dimmed">
              {ROLE_DESCRIPTIONS[invitation.role]}.
            </Text>
          </Group>
          <Text size="xs" c="dimmed">
            The invitation expires{' '}
            <span title={formatDateTime(invitation.expiresAt)}>
              {formatRelative(invitation.expiresAt)}
            </span>{' '}
            and works once.
          </Text>
        </Stack>
      </Paper>
    </Stack>
  );
}

/** Signed in as the invited address: one click. */
function JoinAsMe({ token, invitation }: { token: string; invitation: InvitationPreview }) {
  const accept = useAcceptInvitation();
  const goToProject = useGoToProject();
  return (
    <Stack gap="md">
      <Text size="sm" style={WRAP}>
        You are signed in as <b>{invitation.email}</b>.
      </Text>
      {accept.isError && <ErrorAlert error={accept.error} />}
      <Button
        fullWidth
        size="md"
        loading={accept.isPending}
        onClick={() => accept.mutate({ token }, { onSuccess: goToProject })}
        style={WRAP}
      >
        Join {invitation.projectName}
      </Button>
    </Stack>
  );
}

/** Signed in as someone else: only the invited address may accept. */
function WrongAccount({ user, invitation }: { user: User; invitation: InvitationPreview }) {
  const signOut = useSignOutHere();
  return (
    <Stack gap="md">
      <Alert color="yellow" variant="light" title="This invitation is for another address">
        <Text size="sm" style={WRAP}>
          It is for <b>{invitation.email}</b>, and you are signed in as <b>{user.email}</b>. Sign
          out, then {invitation.hasAccount ? 'sign in as' : 'create the account of'}{' '}
          {invitation.email} to accept it.
        </Text>
      </Alert>
      <Button
        fullWidth
        size="md"
        leftSection={<IconLogout size={18} />}
        loading={signOut.isPending}
        onClick={() =>
          signOut.mutate(undefined, {
            onError: (error) => notifyError(error, 'Could not sign out'),
          })
        }
      >
        Sign out
      </Button>
      <Button component={Link} to="/" variant="default" fullWidth>
        Go to your projects
      </Button>
    </Stack>
  );
}

/** Signed out, and the address has an account: sign in, come back here, join. */
function SignInToAccept({ token, invitation }: { token: string; invitation: InvitationPreview }) {
  return (
    <Stack gap="md">
      <Text size="sm" style={WRAP}>
        <b>{invitation.email}</b> has an account on this instance. Sign in with it to accept; you
        will come back here.
      </Text>
      <Button
        component={Link}
        to={signInPath(invitePath(token), undefined, invitation.email)}
        fullWidth
        size="md"
      >
        Sign in to accept
      </Button>
    </Stack>
  );
}

/** Signed out, no account yet: the link creates the invited address's account. */
function CreateAccountAndJoin({
  token,
  invitation,
}: {
  token: string;
  invitation: InvitationPreview;
}) {
  const accept = useAcceptInvitation();
  const goToProject = useGoToProject();
  const form = useForm({
    initialValues: { name: '', password: '' },
    validate: {
      name: hasLength({ max: 100 }, 'At most 100 characters'),
      password: hasLength({ min: 8, max: 256 }, 'Use 8 to 256 characters'),
    },
  });
  return (
    <form
      onSubmit={form.onSubmit(({ name, password }) =>
        accept.mutate(
          { token, password, ...(name.trim() === '' ? {} : { name: name.trim() }) },
          {
            onSuccess: goToProject,
            onError: (error) => form.setErrors(formErrors(error)),
          },
        ),
      )}
      noValidate
    >
      <Stack gap="md">
        <TextInput
          label="E-mail"
          type="email"
          autoComplete="username"
          description="The address invited; your account uses it."
          value={invitation.email}
          readOnly
        />
        <TextInput
          label="Name"
          autoComplete="name"
          placeholder="Ada Lovelace"
          description="Optional; shown to your teammates."
          {...form.getInputProps('name')}
        />
        <PasswordInput
          label="Password"
          autoComplete="new-password"
          description="At least 8 characters."
          withAsterisk
          {...form.getInputProps('password')}
        />
        {accept.isError && <ErrorAlert error={accept.error} />}
        {isApiError(accept.error, 'EMAIL_TAKEN') && (
          <Anchor
            component={Link}
            to={signInPath(invitePath(token), undefined, invitation.email)}
            size="sm"
            fw={500}
          >
            Sign in to accept
          </Anchor>
        )}
        <Button type="submit" fullWidth size="md" loading={accept.isPending}>
          Create your account and join
        </Button>
      </Stack>
    </form>
  );
}

/**
 * /invite?token=…: the link an owner or admin sent. Works signed in and signed out: shows the
 * invitation, then joins as the signed-in invited address, or signs in, or creates the account.
 */
export function InvitePage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const preview = useInvitationPreview(token);
  const { user, checking } = useSession();
  usePageTitle(preview.data === undefined ? 'Invitation' : `Join ${preview.data.projectName}`);

  if (token === '') return <Incomplete />;
  if (preview.isPending || checking) {
    return (
      <Center h={240} aria-busy="true" aria-label="Loading the invitation">
        <Loader size="md" type="dots" />
      </Center>
    );
  }
  if (isApiError(preview.error, 'INVITATION_INVALID')) {
    return <Invalid signedIn={user !== undefined} />;
  }
  if (preview.isError) {
    return (
      <ErrorAlert
        error={preview.error}
        title="Could not open the invitation"
        onRetry={() => void preview.refetch()}
      />
    );
  }

  const invitation = preview.data;
  let next: ReactNode;
  if (user !== undefined) {
    next =
      user.email.toLowerCase() === invitation.email.toLowerCase() ? (
        <JoinAsMe token={token} invitation={invitation} />
      ) : (
        <WrongAccount user={user} invitation={invitation} />
      );
  } else if (invitation.hasAccount) {
    next = <SignInToAccept token={token} invitation={invitation} />;
  } else if (invitation.canCreateAccount) {
    next = <CreateAccountAndJoin token={token} invitation={invitation} />;
  } else {
    next = (
      <Alert color="yellow" variant="light" title="This instance does not take new sign-ups">
        Ask its administrator to create an account for <b>{invitation.email}</b>, then open this
        link again to join.
      </Alert>
    );
  }
  return (
    <Stack gap="lg">
      <Summary invitation={invitation} />
      {next}
    </Stack>
  );
}
