import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Loader,
  Select,
  Stack,
  Tabs,
  Text,
  ThemeIcon,
  Title,
} from '@mantine/core';
import { IconKey, IconSend } from '@tabler/icons-react';
import { useState } from 'react';
import type { Metric } from '../../api/types';
import { useCreateIngestKey } from '../../queries/ingest';
import { CodeBlock } from '../code-block';
import { ErrorAlert } from '../error-alert';
import { SecretField } from '../secret-field';
import { sampleValue } from './metric-labels';
import { buildSnippets, SNIPPET_LABELS, SNIPPET_LANGUAGES, type SnippetLanguage } from './snippets';

export interface OnboardingProps {
  projectId: string;
  /** Metrics still waiting for their first event. */
  metrics: Metric[];
  /** Whether the user may create keys (owner, admin). */
  canCreateKey: boolean;
}

const PLACEHOLDER = 'YOUR_INGEST_KEY';

/**
 * How to send the first event: snippets filled with this server's URL, the metric and a new
 * ingest key. The page swaps it for the list when the first event arrives (live updates).
 */
export function Onboarding({ projectId, metrics, canCreateKey }: OnboardingProps) {
  const [metricId, setMetricId] = useState<string | null>(metrics[0]?.id ?? null);
  const [language, setLanguage] = useState<SnippetLanguage>('curl');
  const createKey = useCreateIngestKey(projectId);
  const metric = metrics.find((m) => m.id === metricId) ?? metrics[0];
  if (metric === undefined) return null;

  const secret = createKey.data?.secret;
  const snippets = buildSnippets({
    baseUrl: window.location.origin,
    metric: metric.name,
    secret: secret ?? PLACEHOLDER,
    value: sampleValue(metric.type),
  });

  return (
    <Card p={{ base: 'md', sm: 'lg' }}>
      <Stack gap="md">
        <Group gap="sm" wrap="nowrap" align="flex-start">
          <ThemeIcon size={40} radius="md" variant="light">
            <IconSend size={22} stroke={1.6} />
          </ThemeIcon>
          <div style={{ minWidth: 0 }}>
            <Title order={2} fz="lg">
              Send your first event
            </Title>
            <Text size="sm" c="dimmed">
              Run one of these from your code or a terminal. This page turns into your metrics as
              soon as the event arrives.
            </Text>
          </div>
        </Group>

        {metrics.length > 1 && (
          <Select
            label="Metric"
            value={metric.id}
            onChange={setMetricId}
            allowDeselect={false}
            data={metrics.map((m) => ({ value: m.id, label: m.name }))}
            maw={320}
          />
        )}

        {secret !== undefined ? (
          <SecretField secret={secret} label="ingest key" />
        ) : canCreateKey ? (
          <Group gap="sm" wrap="wrap">
            <Button
              leftSection={<IconKey size={16} />}
              onClick={() => createKey.mutate({ name: 'First key', scope: 'ingest' })}
              loading={createKey.isPending}
            >
              Create a key for this snippet
            </Button>
            <Text size="sm" c="dimmed">
              or replace <code>{PLACEHOLDER}</code> with an ingest key you have.
            </Text>
          </Group>
        ) : (
          <Alert variant="light" color="gray" p="sm">
            Replace <code>{PLACEHOLDER}</code> with an ingest key: an owner or admin of the project
            can create one.
          </Alert>
        )}
        {createKey.error !== null && <ErrorAlert error={createKey.error} />}

        <Tabs value={language} onChange={(v) => v !== null && setLanguage(v as SnippetLanguage)}>
          <Tabs.List mb="sm">
            {SNIPPET_LANGUAGES.map((l) => (
              <Tabs.Tab key={l} value={l}>
                {SNIPPET_LABELS[l]}
              </Tabs.Tab>
            ))}
          </Tabs.List>
          {SNIPPET_LANGUAGES.map((l) => (
            <Tabs.Panel key={l} value={l}>
              <CodeBlock
                code={snippets[l]}
                title={l === 'curl' ? 'Terminal' : SNIPPET_LABELS[l]}
                label="snippet"
              />
            </Tabs.Panel>
          ))}
        </Tabs>

        <Group gap="xs" wrap="nowrap">
          <Loader size={14} type="dots" />
          <Text size="sm" c="dimmed">
            Waiting for the first event to{' '}
            <Badge variant="light" radius="sm" size="sm" tt="none">
              {metric.name}
            </Badge>
            …
          </Text>
        </Group>
      </Stack>
    </Card>
  );
}
