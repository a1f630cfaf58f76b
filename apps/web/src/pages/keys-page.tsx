import { Button, Skeleton, Stack, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconKey, IconLock, IconPlus } from '@tabler/icons-react';
import { type ReactNode, useState } from 'react';
import type { ApiKey } from '../api/types';
import { ConfirmDelete } from '../components/confirm-delete';
import { EmptyState } from '../components/empty-state';
import { ErrorAlert } from '../components/error-alert';
import { CreateKeyModal } from '../components/keys/create-key-modal';
import { EditOriginsModal } from '../components/keys/edit-origins-modal';
import { KeysList } from '../components/keys/keys-list';
import { RotateKeyModal } from '../components/keys/rotate-key-modal';
import { PageHeader } from '../components/page-header';
import { useCurrentProject } from '../layout/project-layout';
import { notifySuccess } from '../lib/notify';
import { can } from '../lib/permissions';
import { useKeys, useRevokeKey } from '../queries/keys';

export function KeysPage() {
  const project = useCurrentProject();
  const manage = can(project.role, 'keys.manage');
  const keys = useKeys(project.id);
  const revoke = useRevokeKey(project.id);
  const [creating, { open: openCreate, close: closeCreate }] = useDisclosure(false);
  const [rotating, setRotating] = useState<ApiKey | null>(null);
  const [editing, setEditing] = useState<ApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  // Kept while the confirmation fades out, after `revoking` is cleared.
  const [revokeShown, setRevokeShown] = useState<ApiKey | null>(null);
  if (revoking !== null && revoking !== revokeShown) setRevokeShown(revoking);

  const createButton = (
    <Button leftSection={<IconPlus size={16} />} onClick={openCreate}>
      Create key
    </Button>
  );

  let content: ReactNode;
  if (keys.isPending) {
    content = (
      <Stack gap="sm">
        <Skeleton h={48} />
        <Skeleton h={48} />
        <Skeleton h={48} />
      </Stack>
    );
  } else if (keys.isError) {
    content = (
      <ErrorAlert
        error={keys.error}
        title="Could not load the API keys"
        onRetry={() => void keys.refetch()}
      />
    );
  } else if (keys.data.length === 0) {
    content = (
      <EmptyState
        icon={<IconKey size={28} stroke={1.5} />}
        title="No API keys yet"
        description={
          manage
            ? 'Create an ingest key for the code that sends events, a read key to query metrics, or a public key for the website tracker.'
            : 'An owner or admin of the project can create one.'
        }
        action={manage ? createButton : undefined}
      />
    );
  } else {
    content = (
      <KeysList
        keys={keys.data}
        onRotate={manage ? setRotating : undefined}
        onRevoke={manage ? setRevoking : undefined}
        onEditOrigins={manage ? setEditing : undefined}
      />
    );
  }

  return (
    <>
      <PageHeader
        title="API keys"
        documentTitle={`API keys · ${project.name}`}
        description={`Keys your code uses to send events to ${project.name} (ingest) or to read its metrics (read), and the public keys of its website tracker. Secrets are shown only once, when created or rotated; a public key is meant for web pages, so it stays visible.`}
        actions={manage && keys.isSuccess && keys.data.length > 0 ? createButton : undefined}
      />
      {!manage && (
        <Text size="sm" c="dimmed" mb="md">
          <IconLock size={14} style={{ verticalAlign: -2, marginRight: 6 }} />
          Only owners and admins can create, rotate or revoke keys.
        </Text>
      )}
      {content}
      {manage && (
        <>
          <CreateKeyModal projectId={project.id} opened={creating} onClose={closeCreate} />
          <RotateKeyModal
            projectId={project.id}
            apiKey={rotating}
            onClose={() => setRotating(null)}
          />
          <EditOriginsModal
            projectId={project.id}
            apiKey={editing}
            onClose={() => setEditing(null)}
          />
          <ConfirmDelete
            opened={revoking !== null}
            onClose={() => setRevoking(null)}
            title="Revoke this key?"
            confirmLabel="Revoke key"
            onConfirm={async () => {
              if (revokeShown === null) return;
              const revoked = await revoke.mutateAsync(revokeShown.id);
              notifySuccess(`“${revoked.name}” no longer works.`, 'Key revoked');
            }}
          >
            <b>{revokeShown?.name}</b> (<code>{revokeShown?.prefix}…</code>) is refused from the
            next request on: code still using it gets 401 errors. It stays listed as revoked. This
            cannot be undone.
          </ConfirmDelete>
        </>
      )}
    </>
  );
}
