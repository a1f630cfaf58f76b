import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useEffect, useState } from 'react';
import { isApiError } from '../../api/client';
import type { ApiKey } from '../../api/types';
import { formErrors } from '../../lib/describe-error';
import { notifySuccess } from '../../lib/notify';
import { useUpdateKey } from '../../queries/keys';
import { ErrorAlert } from '../error-alert';
import { OriginsField, parseOrigins, validateOrigins } from './origins-field';

export interface EditOriginsModalProps {
  projectId: string;
  /** The public key to edit; null closes the dialog. */
  apiKey: ApiKey | null;
  onClose: () => void;
}

/** Changes where a public key is accepted from; its snippet stays the same. */
export function EditOriginsModal({ projectId, apiKey, onClose }: EditOriginsModalProps) {
  const update = useUpdateKey(projectId);
  // Kept while the dialog fades out, after the parent has let go of the key.
  const [shown, setShown] = useState<ApiKey | null>(apiKey);
  if (apiKey !== null && apiKey !== shown) setShown(apiKey);
  const form = useForm({
    initialValues: { origins: '' },
    validate: { origins: validateOrigins },
  });
  // biome-ignore lint/correctness/useExhaustiveDependencies: filled once per key opened
  useEffect(() => {
    if (apiKey !== null) form.setValues({ origins: (apiKey.origins ?? []).join('\n') });
  }, [apiKey]);

  const close = () => {
    if (update.isPending) return;
    onClose();
  };

  return (
    <Modal
      opened={apiKey !== null}
      onClose={close}
      onExitTransitionEnd={() => {
        setShown(null);
        form.reset();
        update.reset();
      }}
      title={<Text fw={600}>Allowed origins of “{shown?.name}”</Text>}
    >
      <form
        onSubmit={form.onSubmit(({ origins }) => {
          if (shown === null) return;
          update.mutate(
            { keyId: shown.id, origins: parseOrigins(origins) },
            {
              onSuccess: (key) => {
                notifySuccess(
                  `Page views are accepted from ${(key.origins ?? []).join(', ')}.`,
                  'Origins saved',
                );
                onClose();
              },
              onError: (error) => {
                const origins =
                  isApiError(error, 'ORIGIN_INVALID') || isApiError(error, 'ORIGINS_REQUIRED');
                form.setErrors(origins ? { origins: error.detail } : formErrors(error));
              },
            },
          );
        })}
        noValidate
      >
        <Stack gap="md">
          <Text size="sm" c="dimmed">
            The tracker refuses page views from any other site (403). The snippet does not change.
          </Text>
          <OriginsField data-autofocus {...form.getInputProps('origins')} />
          {update.isError && <ErrorAlert error={update.error} />}
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={close} disabled={update.isPending}>
              Cancel
            </Button>
            <Button type="submit" loading={update.isPending}>
              Save origins
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
