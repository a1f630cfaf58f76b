import { Button, Group, Modal, Radio, Stack, Text, TextInput } from '@mantine/core';
import { hasLength, useForm } from '@mantine/form';
import { useState } from 'react';
import { isApiError } from '../../api/client';
import type { KeyScope, NewApiKey } from '../../api/types';
import { formErrors } from '../../lib/describe-error';
import { useCreateKey } from '../../queries/keys';
import { ErrorAlert } from '../error-alert';
import { SecretField } from '../secret-field';
import { KeyUsageHint } from './key-usage-hint';
import { OriginsField, parseOrigins, validateOrigins } from './origins-field';
import { TrackerSnippet } from './tracker-snippet';

export interface CreateKeyModalProps {
  projectId: string;
  opened: boolean;
  onClose: () => void;
}

/** Names a new key and picks its scope, then shows its secret this once (or a public key's snippet). */
export function CreateKeyModal({ projectId, opened, onClose }: CreateKeyModalProps) {
  const create = useCreateKey(projectId);
  const [created, setCreated] = useState<NewApiKey | null>(null);
  const form = useForm({
    initialValues: { name: '', scope: 'ingest' as KeyScope, origins: '' },
    validate: {
      name: hasLength({ min: 1, max: 100 }, 'Give it a name of 1 to 100 characters'),
      origins: (value, values) => (values.scope === 'public' ? validateOrigins(value) : null),
    },
    transformValues: ({ name, scope, origins }) => ({
      name: name.trim(),
      scope,
      ...(scope === 'public' ? { origins: parseOrigins(origins) } : {}),
    }),
  });

  const close = () => {
    if (create.isPending) return;
    onClose();
  };
  // Cleared once the closing transition is over, so the secret does not flash back to the form.
  const reset = () => {
    setCreated(null);
    form.reset();
    create.reset();
  };

  return (
    <Modal
      opened={opened}
      onClose={close}
      onExitTransitionEnd={reset}
      title={<Text fw={600}>{created === null ? 'Create an API key' : 'Your new API key'}</Text>}
      // A click beside the dialog must not lose a secret that is never shown again.
      closeOnClickOutside={created === null}
      size={created?.scope === 'public' ? 'xl' : 'md'}
    >
      {created === null ? (
        <form
          onSubmit={form.onSubmit((values) =>
            create.mutate(values, {
              onSuccess: setCreated,
              onError: (error) => {
                const origins =
                  isApiError(error, 'ORIGIN_INVALID') || isApiError(error, 'ORIGINS_REQUIRED');
                form.setErrors(origins ? { origins: error.detail } : formErrors(error));
              },
            }),
          )}
          noValidate
        >
          <Stack gap="md">
            <TextInput
              label="Name"
              description="Where it is used, to recognise it later."
              placeholder="Production backend"
              maxLength={100}
              data-autofocus
              {...form.getInputProps('name')}
            />
            <Radio.Group
              label="Scope"
              description="An ingest key sends events and cannot read anything; a read key queries and exports metrics and cannot send events; a public key only feeds the website tracker."
              {...form.getInputProps('scope')}
            >
              <Stack gap="sm" mt="xs">
                <Radio
                  value="ingest"
                  label="Ingest"
                  description="For your app or backend: posts events."
                />
                <Radio
                  value="read"
                  label="Read"
                  description="For scripts and dashboards: queries and exports metrics."
                />
                <Radio
                  value="public"
                  label="Public"
                  description={
                    <>
                      For the website tracker (track.js): counts page views and visitors, only from
                      the sites you allow. Safe in page source. Creates the metrics{' '}
                      <code>pageviews</code> and <code>visitors</code> in the project if they are
                      missing.
                    </>
                  }
                />
              </Stack>
            </Radio.Group>
            {form.values.scope === 'public' && <OriginsField {...form.getInputProps('origins')} />}
            {create.isError && <ErrorAlert error={create.error} />}
            <Group justify="flex-end" gap="sm">
              <Button variant="default" onClick={close} disabled={create.isPending}>
                Cancel
              </Button>
              <Button type="submit" loading={create.isPending}>
                Create key
              </Button>
            </Group>
          </Stack>
        </form>
      ) : (
        <Stack gap="md">
          <Text size="sm">
            <b>{created.name}</b> ({created.scope}) is ready.
          </Text>
          {created.scope === 'public' ? (
            <TrackerSnippet apiKey={created} />
          ) : (
            <SecretField secret={created.secret} />
          )}
          <KeyUsageHint scope={created.scope} />
          {created.scope === 'public' && (
            <Text size="sm" c="dimmed">
              The project now has the metrics <code>pageviews</code> and <code>visitors</code> where
              page views are counted.
            </Text>
          )}
          <Group justify="flex-end">
            <Button onClick={onClose}>
              {created.scope === 'public' ? 'Done' : 'I have copied it'}
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
