import {
  ActionIcon,
  Avatar,
  Badge,
  Box,
  Button,
  Divider,
  Group,
  Select,
  Skeleton,
  Stack,
  Text,
  Tooltip,
} from '@mantine/core';
import { IconDoorExit, IconUserMinus, IconUsers } from '@tabler/icons-react';
import { Fragment, type ReactNode, useState } from 'react';
import { useNavigate } from 'react-router';
import { ApiError, isApiError } from '../../api/client';
import type { CreatedInvitation, Member, Project, Role } from '../../api/types';
import { avatarColor, formatDate } from '../../lib/format';
import { notifyError, notifySuccess } from '../../lib/notify';
import { can, ROLE_LABELS } from '../../lib/permissions';
import { useMe } from '../../queries/auth';
import { useInvitations } from '../../queries/invitations';
import {
  useChangeMemberRole,
  useLeaveProject,
  useMembers,
  useRemoveMember,
} from '../../queries/members';
import { ConfirmDelete } from '../confirm-delete';
import { EmptyState } from '../empty-state';
import { ErrorAlert } from '../error-alert';
import { SectionCard } from '../section-card';
import { InvitationLink } from './invitation-link';
import { InviteForm } from './invite-form';
import { PendingInvitations } from './pending-invitations';
import { RoleBadge, roleOptions } from './role-badge';

const ROLE_ORDER: Record<Role, number> = { owner: 0, admin: 1, developer: 2, guest: 3 };

function displayName(member: Member): string {
  return member.name.trim() === '' ? member.email : member.name;
}

interface MemberRowProps {
  member: Member;
  isMe: boolean;
  /** The role can be changed by me. */
  editable: boolean;
  grantOwner: boolean;
  removable: boolean;
  /** Some rows have a remove button: the others leave room for it. */
  manage: boolean;
  pending: boolean;
  onRole: (role: Role) => void;
  onRemove: () => void;
}

function MemberRow(props: MemberRowProps) {
  const { member, isMe, editable, grantOwner, removable, manage, pending, onRole, onRemove } =
    props;
  const name = displayName(member);
  return (
    <Group justify="space-between" gap="sm" wrap="wrap" py={4}>
      <Group gap="sm" wrap="nowrap" miw={0} style={{ flex: '1 1 16rem' }}>
        <Avatar name={name} color={avatarColor(name)} radius="xl" size={36} />
        <Box miw={0}>
          <Group gap={6} wrap="nowrap">
            <Text size="sm" fw={600} truncate>
              {name}
            </Text>
            {isMe && (
              <Badge size="xs" variant="outline" color="gray" style={{ flexShrink: 0 }}>
                You
              </Badge>
            )}
          </Group>
          <Text size="xs" c="dimmed" truncate>
            {member.email}
            <Text span inherit visibleFrom="sm">
              {' '}
              · joined {formatDate(member.joinedAt)}
            </Text>
          </Text>
        </Box>
      </Group>
      <Group gap="xs" wrap="nowrap" ml={{ base: 46, xs: 0 }}>
        {editable ? (
          <Select
            size="xs"
            w={130}
            aria-label={`Role of ${name}`}
            data={roleOptions(grantOwner)}
            value={member.role}
            allowDeselect={false}
            disabled={pending}
            onChange={(value) => {
              if (value !== null && value !== member.role) onRole(value as Role);
            }}
            comboboxProps={{ withinPortal: true }}
          />
        ) : (
          <RoleBadge role={member.role} />
        )}
        {removable ? (
          <Tooltip label={`Remove ${name}`}>
            <ActionIcon
              variant="subtle"
              color="red"
              aria-label={`Remove ${name}`}
              onClick={onRemove}
            >
              <IconUserMinus size={16} />
            </ActionIcon>
          </Tooltip>
        ) : (
          // Keeps the role column aligned when a row has no remove button.
          manage && <Box w={28} visibleFrom="xs" />
        )}
      </Group>
    </Group>
  );
}

/** LAST_OWNER, said to the last owner themselves. */
function lastOwnerToMe(error: unknown): unknown {
  if (!isApiError(error, 'LAST_OWNER')) return error;
  return new ApiError({
    status: error.status,
    code: error.code,
    title: error.title,
    detail:
      'You are its last owner. Make another member owner first, or delete the project instead.',
  });
}

type Pending =
  | { kind: 'remove'; member: Member }
  | { kind: 'leave'; member: Member }
  | { kind: 'demote-self'; member: Member; role: Role };

/**
 * Who can see the project, with their roles; owners and admins invite people (by a link they
 * send), see and withdraw pending invitations, and change and remove members.
 */
export function MembersSection({ project }: { project: Project }) {
  const members = useMembers(project.id);
  const { data: me } = useMe();
  const manage = can(project.role, 'members.manage');
  const grantOwner = can(project.role, 'members.grantOwner');
  const changeRole = useChangeMemberRole(project.id);
  const remove = useRemoveMember(project.id);
  const leave = useLeaveProject(project.id, me?.id ?? '');
  const navigate = useNavigate();
  const invitations = useInvitations(project.id, manage);
  // The link of the invitation just made: shown until dismissed, another invitation, or withdrawn.
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  const [asking, setAsking] = useState<Pending | null>(null);
  // Kept while the dialog fades out.
  const [shown, setShown] = useState<Pending | null>(null);
  if (asking !== null && asking !== shown) setShown(asking);

  const applyRole = async (member: Member, role: Role) => {
    await changeRole.mutateAsync({ userId: member.userId, role });
    notifySuccess(
      `${displayName(member)} is now ${ROLE_LABELS[role].toLowerCase()}.`,
      'Role changed',
    );
  };

  const onRole = (member: Member, role: Role) => {
    // Giving up my own rights is asked first: I may not get them back myself.
    if (member.userId === me?.id && ROLE_ORDER[role] > ROLE_ORDER[member.role]) {
      setAsking({ kind: 'demote-self', member, role });
      return;
    }
    applyRole(member, role).catch((error: unknown) =>
      notifyError(error, 'The role was not changed'),
    );
  };

  let list: ReactNode;
  if (members.isPending) {
    list = (
      <Stack gap="sm">
        <Skeleton h={40} />
        <Skeleton h={40} />
      </Stack>
    );
  } else if (members.isError) {
    list = (
      <ErrorAlert
        error={members.error}
        title="Could not load the members"
        onRetry={() => void members.refetch()}
      />
    );
  } else if (members.data.length === 0) {
    list = (
      <EmptyState
        framed={false}
        icon={<IconUsers size={24} stroke={1.5} />}
        title="No members"
        description={manage ? 'Invite someone by e-mail below.' : undefined}
      />
    );
  } else {
    const sorted = [...members.data].sort(
      (a, b) =>
        ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || displayName(a).localeCompare(displayName(b)),
    );
    list = (
      <Stack gap={4}>
        {sorted.map((member, index) => {
          const isMe = member.userId === me?.id;
          const reachable = manage && (member.role !== 'owner' || grantOwner);
          return (
            <Fragment key={member.userId}>
              {index > 0 && <Divider />}
              <MemberRow
                member={member}
                isMe={isMe}
                editable={reachable}
                grantOwner={grantOwner}
                removable={reachable && !isMe}
                manage={manage}
                pending={changeRole.isPending && changeRole.variables.userId === member.userId}
                onRole={(role) => onRole(member, role)}
                onRemove={() => setAsking({ kind: 'remove', member })}
              />
            </Fragment>
          );
        })}
      </Stack>
    );
  }

  const mine = members.data?.find((m) => m.userId === me?.id);
  const lastOwner =
    mine?.role === 'owner' && members.data?.filter((m) => m.role === 'owner').length === 1;
  const target = shown === null ? '' : displayName(shown.member);
  return (
    <SectionCard
      title="Members"
      description={
        manage
          ? 'Everyone who can see this project. Owners and admins manage it; developers and guests read it.'
          : 'Everyone who can see this project. Only owners and admins can invite or remove members.'
      }
    >
      {list}
      {manage && (
        <>
          <PendingInvitations
            projectId={project.id}
            onWithdrawn={(id) => {
              if (created?.invitation.id === id) setCreated(null);
            }}
          />
          <Divider />
          <InviteForm
            projectId={project.id}
            grantOwner={grantOwner}
            pendingEmails={invitations.data?.map((i) => i.email) ?? []}
            onInvited={setCreated}
          />
          {created !== null && <InvitationLink created={created} onDone={() => setCreated(null)} />}
        </>
      )}
      {mine !== undefined && (
        <>
          <Divider />
          <Group justify="space-between" gap="sm" wrap="wrap">
            <Text size="sm" c="dimmed" style={{ flex: '1 1 16rem' }}>
              {lastOwner
                ? 'You are its only owner: to leave, make another member owner first.'
                : 'Leave the project when you no longer need it; to come back, an owner or admin has to invite you again.'}
            </Text>
            <Button
              variant="default"
              leftSection={<IconDoorExit size={16} />}
              disabled={lastOwner}
              onClick={() => setAsking({ kind: 'leave', member: mine })}
            >
              Leave project
            </Button>
          </Group>
        </>
      )}
      <ConfirmDelete
        opened={asking !== null}
        onClose={() => setAsking(null)}
        title={
          shown?.kind === 'leave'
            ? 'Leave this project?'
            : shown?.kind === 'demote-self'
              ? 'Change your own role?'
              : 'Remove this member?'
        }
        confirmLabel={
          shown?.kind === 'leave'
            ? 'Leave project'
            : shown?.kind === 'demote-self'
              ? `Become ${ROLE_LABELS[shown.role].toLowerCase()}`
              : 'Remove member'
        }
        onConfirm={async () => {
          if (shown === null) return;
          if (shown.kind === 'remove') {
            await remove.mutateAsync(shown.member.userId);
            notifySuccess(`${target} no longer has access to ${project.name}.`, 'Member removed');
            return;
          }
          try {
            if (shown.kind === 'demote-self') {
              await applyRole(shown.member, shown.role);
              return;
            }
            await leave.mutateAsync();
          } catch (error) {
            throw lastOwnerToMe(error);
          }
          notifySuccess(`You are no longer a member of ${project.name}.`, 'You left the project');
          await navigate('/', { replace: true });
        }}
      >
        {shown?.kind === 'leave' ? (
          <>
            You will lose access to <b>{project.name}</b> and its metrics. To come back, an owner or
            admin has to invite you again.
          </>
        ) : shown?.kind === 'demote-self' ? (
          <>
            You will be {ROLE_LABELS[shown.role].toLowerCase()} of <b>{project.name}</b>
            {can(shown.role, 'members.manage')
              ? '.'
              : ' and can no longer manage it. Only an owner or admin can give your role back.'}
          </>
        ) : (
          <>
            <b>{target}</b> will lose access to <b>{project.name}</b>. You can invite them again
            later.
          </>
        )}
      </ConfirmDelete>
    </SectionCard>
  );
}
