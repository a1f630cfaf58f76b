import {
  ActionIcon,
  Anchor,
  Button,
  Group,
  Modal,
  NumberInput,
  PasswordInput,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { type FormEvent, useEffect, useState } from 'react';
import type { MetricBrief } from '../../api/types';
import { notifySuccess } from '../../lib/notify';
import { rememberedIngestKey, useCreateIngestKey, usePushEvent } from '../../queries/ingest';
import { ErrorAlert } from '../error-alert';
import { SecretField } from '../secret-field';

export interface PushEventModalProps {
  projectId: string;
  metric: MetricBrief;
  opened: boolean;
  onClose: () => void;
  /** Whether the user may create an ingest key here. */
  canCreateKey: boolean;
}

const HINTS = {
  basic: 'A positive number; it adds to the total.',
  dual: 'Positive or negative, not zero: it adds to one side or the other.',
  average: 'Any number, zero included; it counts toward the mean.',
} as const;

interface FilterRow {
  id: number;
  key: string;
  value: string;
}

let nextRow = 0;

/** Sends one event to the metric with an ingest key, as the user's code would. */
export function PushEventModal({
  projectId,
  metric,
  opened,
  onClose,
  canCreateKey,
}: PushEventModalProps) {
  const push = usePushEvent(projectId);
  const createKey = useCreateIngestKey(projectId);
  const [secret, setSecret] = useState('');
  const [value, setValue] = useState<string | number>('');
  const [filters, setFilters] = useState<FilterRow[]>([]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reset on open only
  useEffect(() => {
    if (!opened) return;
    setSecret(rememberedIngestKey(projectId) ?? '');
    setValue('');
    setFilters([]);
    push.reset();
    createKey.reset();
  }, [opened, projectId]);

  const number = typeof value === 'number' ? value : Number.NaN;
  const ready = secret.trim() !== '' && Number.isFinite(number);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!ready) return;
    const sent: Record<string, string> = {};
    for (const row of filters) {
      if (row.key.trim() !== '' && row.value.trim() !== '') sent[row.key.trim()] = row.value.trim();
    }
    push.mutate(
      { metricId: metric.id, secret, value: number, filters: sent },
      {
        onSuccess: () => {
          notifySuccess(`Sent ${number} to ${metric.name}`);
          onClose();
        },
      },
    );
  };

  const newKey = async () => {
    const key = await createKey
      .mutateAsync({ name: 'Dashboard', scope: 'ingest' })
      .catch(() => undefined);
    if (key !== undefined) setSecret(key.secret);
  };

  return (
    <Modal
      opened={opened}
      onClose={() => !push.isPending && onClose()}
      title={<Text fw={600}>Push a value to {metric.name}</Text>}
    >
      <form onSubmit={submit}>
        <Stack gap="md">
          {createKey.data !== undefined ? (
            <SecretField secret={createKey.data.secret} label="ingest key" />
          ) : (
            <PasswordInput
              label="Ingest key"
              description={
                canCreateKey ? (
                  <>
                    The secret of an ingest key (mly_…), or{' '}
                    <Anchor
                      component="button"
                      type="button"
                      fz="inherit"
                      onClick={() => void newKey()}
                      disabled={createKey.isPending}
                    >
                      create one now
                    </Anchor>
                    .
                  </>
                ) : (
                  'The secret of an ingest key of this project (mly_…).'
                )
              }
              placeholder="mly_…"
              value={secret}
              onChange={(e) => setSecret(e.currentTarget.value)}
              autoComplete="off"
              data-autofocus={secret === '' ? true : undefined}
            />
          )}
          {createKey.error !== null && <ErrorAlert error={createKey.error} />}
          <NumberInput
            label="Value"
            description={HINTS[metric.type]}
            value={value}
            onChange={setValue}
            decimalScale={6}
            allowNegative={metric.type !== 'basic'}
            hideControls
            data-autofocus={secret !== '' ? true : undefined}
          />
          <Stack gap={6}>
            <Group justify="space-between">
              <Text size="sm" fw={500}>
                Filters{' '}
                <Text span size="xs" c="dimmed">
                  optional
                </Text>
              </Text>
              <Button
                size="compact-xs"
                variant="subtle"
                leftSection={<IconPlus size={12} />}
                onClick={() => setFilters((f) => [...f, { id: nextRow++, key: '', value: '' }])}
                disabled={filters.length >= 10}
              >
                Add filter
              </Button>
            </Group>
            {filters.map((row) => (
              <Group key={row.id} gap="xs" wrap="nowrap">
                <TextInput
                  aria-label="Filter key"
                  placeholder="country"
                  value={row.key}
                  maxLength={32}
                  onChange={(e) => {
                    const key = e.currentTarget.value;
                    setFilters((f) => f.map((r) => (r.id === row.id ? { ...r, key } : r)));
                  }}
                  style={{ flex: 1 }}
                />
                <TextInput
                  aria-label="Filter value"
                  placeholder="fr"
                  value={row.value}
                  maxLength={100}
                  onChange={(e) => {
                    const v = e.currentTarget.value;
                    setFilters((f) => f.map((r) => (r.id === row.id ? { ...r, value: v } : r)));
                  }}
                  style={{ flex: 1 }}
                />
                <ActionIcon
                  variant="subtle"
                  color="gray"
                  aria-label="Remove filter"
                  onClick={() => setFilters((f) => f.filter((r) => r.id !== row.id))}
                >
                  <IconTrash size={16} />
                </ActionIcon>
              </Group>
            ))}
          </Stack>
          {push.error !== null && <ErrorAlert error={push.error} title="Not stored" />}
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={onClose} disabled={push.isPending}>
              Cancel
            </Button>
            <Button type="submit" loading={push.isPending} disabled={!ready}>
              Send
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
