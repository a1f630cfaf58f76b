import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { IconRefresh } from '@tabler/icons-react';
import { useState } from 'react';
import type { ApiKey, NewApiKey } from '../../api/types';
import { useRotateKey } from '../../queries/keys';
import { ErrorAlert } from '../error-alert';
import { SecretField } from '../secret-field';
import { KeyUsageHint } from './key-usage-hint';
import { TrackerSnippet } from './tracker-snippet';

export interface RotateKeyModalProps {
  projectId: string;
  /** The key to rotate; null closes the dialog. */
  apiKey: ApiKey | null;
  onClose: () => void;
}

/** Asks before giving a key a new secret, then shows that secret this once. */
export function RotateKeyModal({ projectId, apiKey, onClose }: RotateKeyModalProps) {
  const rotate = useRotateKey(projectId);
  const [rotated, setRotated] = useState<NewApiKey | null>(null);
  // Kept while the dialog fades out, after the parent has let go of the key.
  const [shown, setShown] = useState<ApiKey | null>(apiKey);
  if (apiKey !== null && apiKey !== shown && rotated === null) setShown(apiKey);

  const close = () => {
    if (rotate.isPending) return;
    onClose();
  };
  const reset = () => {
    setRotated(null);
    setShown(null);
    rotate.reset();
  };

  return (
    <Modal
      opened={apiKey !== null}
      onClose={close}
      onExitTransitionEnd={reset}
      title={
        <Group gap="xs" wrap="nowrap">
          <IconRefresh size={20} color="var(--mantine-color-orange-6)" />
          <Text fw={600}>
            {rotated === null
              ? 'Rotate this key?'
              : rotated.scope === 'public'
                ? 'The new snippet'
                : 'The new secret'}
          </Text>
        </Group>
      }
      closeOnClickOutside={rotated === null && !rotate.isPending}
      size={rotated?.scope === 'public' ? 'xl' : 'md'}
      closeOnEscape={!rotate.isPending}
    >
      {rotated === null ? (
        <Stack gap="md">
          <Text size="sm">
            <b>{shown?.name}</b> gets a new secret. The current one (<code>{shown?.prefix}…</code>)
            stops working from the next request on:{' '}
            {shown?.scope === 'public'
              ? 'pages with the current snippet stop recording page views until they get the new one.'
              : 'code still using it gets 401 errors until you give it the new secret.'}
          </Text>
          {rotate.isError && <ErrorAlert error={rotate.error} />}
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={close} disabled={rotate.isPending}>
              Cancel
            </Button>
            <Button
              color="orange"
              loading={rotate.isPending}
              onClick={() => {
                if (shown !== null) rotate.mutate(shown.id, { onSuccess: setRotated });
              }}
              data-autofocus
            >
              Rotate key
            </Button>
          </Group>
        </Stack>
      ) : (
        <Stack gap="md">
          <Text size="sm">
            <b>{rotated.name}</b> has a new secret; the old one no longer works.
            {rotated.scope === 'public' &&
              ' Put this snippet on your pages in place of the old one; the keys page keeps showing it.'}
          </Text>
          {rotated.scope === 'public' ? (
            <TrackerSnippet apiKey={rotated} />
          ) : (
            <SecretField secret={rotated.secret} />
          )}
          <KeyUsageHint scope={rotated.scope} />
          <Group justify="flex-end">
            <Button onClick={onClose}>
              {rotated.scope === 'public' ? 'Done' : 'I have copied it'}
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
