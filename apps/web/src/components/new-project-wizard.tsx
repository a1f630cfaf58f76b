import { Button, Group, Stack, Stepper, Text, TextInput, useMatches } from '@mantine/core';
import { hasLength, useForm } from '@mantine/form';
import { IconArrowRight } from '@tabler/icons-react';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import type { NewApiKey, Project } from '../api/types';
import { formErrors } from '../lib/describe-error';
import { useCreateProject } from '../queries/projects';
import { CodeBlock } from './code-block';
import { ErrorAlert } from './error-alert';
import { SecretField } from './secret-field';

function sendSnippet(secret: string): string {
  return [
    `curl -X POST ${window.location.origin}/event/v1/signups \\`,
    `  -H "Authorization: Bearer ${secret}" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d '{"value": 1}'`,
  ].join('\n');
}

/**
 * Creating a project in two steps: its name, then its first ingest key, shown once, with how to
 * send an event. Ends on the project's metrics.
 */
export function NewProjectWizard() {
  const navigate = useNavigate();
  const wide = useMatches({ base: false, sm: true });
  const create = useCreateProject();
  const [created, setCreated] = useState<{ project: Project; apiKey: NewApiKey } | null>(null);
  const form = useForm({
    initialValues: { name: '' },
    validate: { name: hasLength({ min: 1, max: 100 }, 'Give it a name of 1 to 100 characters') },
    transformValues: ({ name }) => ({ name: name.trim() }),
  });

  return (
    <Stepper active={created === null ? 0 : 1} size="sm" allowNextStepsSelect={false}>
      <Stepper.Step label="Project" description={wide ? 'Your app or product' : undefined}>
        <form
          onSubmit={form.onSubmit((values) =>
            create.mutate(values, {
              onSuccess: setCreated,
              onError: (error) => form.setErrors(formErrors(error)),
            }),
          )}
          noValidate
        >
          <Stack gap="md" pt="md">
            <TextInput
              label="Project name"
              description="Usually your app or product. You can rename it later."
              placeholder="Acme web"
              maxLength={100}
              autoFocus
              {...form.getInputProps('name')}
            />
            {create.isError && <ErrorAlert error={create.error} />}
            <Group justify="flex-end">
              <Button type="submit" loading={create.isPending}>
                Create project
              </Button>
            </Group>
          </Stack>
        </form>
      </Stepper.Step>
      <Stepper.Step label="API key" description={wide ? 'Send your first event' : undefined}>
        {created !== null && (
          <Stack gap="md" pt="md">
            <Text size="sm">
              <b>{created.project.name}</b> is ready. Your code sends events with this ingest key:
            </Text>
            <SecretField secret={created.apiKey.secret} />
            <Text size="sm" c="dimmed" mt="xs">
              Once you have created a metric (say <b>signups</b>), this sends it an event:
            </Text>
            <CodeBlock code={sendSnippet(created.apiKey.secret)} label="command" />
            <Group justify="flex-end" mt="xs">
              <Button
                rightSection={<IconArrowRight size={16} />}
                onClick={() => void navigate(`/projects/${created.project.id}/metrics`)}
              >
                Continue to the project
              </Button>
            </Group>
          </Stack>
        )}
      </Stepper.Step>
    </Stepper>
  );
}
