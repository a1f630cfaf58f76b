import { Button, Group, Input, Stack, Switch, Text, TextInput } from '@mantine/core';
import { hasLength, useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { IconTrash } from '@tabler/icons-react';
import { useEffect } from 'react';
import { useNavigate } from 'react-router';
import type { Project } from '../api/types';
import { ConfirmDelete } from '../components/confirm-delete';
import { CopyButton } from '../components/copy-button';
import { ErrorAlert } from '../components/error-alert';
import { PageHeader } from '../components/page-header';
import { SectionCard } from '../components/section-card';
import { MembersSection } from '../components/settings/members-section';
import { UsageSection } from '../components/settings/usage-section';
import { useCurrentProject } from '../layout/project-layout';
import { formErrors } from '../lib/describe-error';
import { formatDate } from '../lib/format';
import { notifyError, notifySuccess } from '../lib/notify';
import { can, ROLE_LABELS } from '../lib/permissions';
import { useDeleteProject, useUpdateProject } from '../queries/projects';

function General({ project }: { project: Project }) {
  const rename = useUpdateProject(project.id);
  const allowed = can(project.role, 'project.rename');
  const form = useForm({
    initialValues: { name: project.name },
    validate: { name: hasLength({ min: 1, max: 100 }, 'Use 1 to 100 characters') },
    transformValues: ({ name }) => ({ name: name.trim() }),
  });
  // Someone else renamed it (the query refreshed): follow, unless the user is typing.
  // biome-ignore lint/correctness/useExhaustiveDependencies: follows the server's name only
  useEffect(() => {
    if (!form.isDirty()) form.setValues({ name: project.name });
    form.resetDirty({ name: project.name });
  }, [project.name]);

  const unchanged = form.values.name.trim() === project.name;
  return (
    <form
      onSubmit={form.onSubmit((values) =>
        rename.mutate(values, {
          onSuccess: (renamed) => {
            form.setValues({ name: renamed.name });
            form.resetDirty({ name: renamed.name });
            notifySuccess(`The project is now called “${renamed.name}”.`, 'Project renamed');
          },
          onError: (error) => form.setErrors(formErrors(error)),
        }),
      )}
      noValidate
    >
      <SectionCard
        title="General"
        description={
          allowed
            ? 'How the project appears to its members.'
            : 'Only owners and admins can rename the project.'
        }
        footer={
          allowed ? (
            <Button type="submit" loading={rename.isPending} disabled={unchanged}>
              Save
            </Button>
          ) : undefined
        }
      >
        <TextInput
          label="Project name"
          maxLength={100}
          disabled={!allowed}
          {...form.getInputProps('name')}
        />
        <Input.Wrapper
          label="Project ID"
          description={`For the API and the command line. Created ${formatDate(project.createdAt)}; your role is ${ROLE_LABELS[project.role]}.`}
          inputWrapperOrder={['label', 'input', 'description']}
        >
          <Group gap={4} wrap="nowrap" mt={2} mb={4}>
            <Text ff="monospace" size="sm" style={{ overflowWrap: 'anywhere' }}>
              {project.id}
            </Text>
            <CopyButton value={project.id} label="project ID" />
          </Group>
        </Input.Wrapper>
        {rename.isError && <ErrorAlert error={rename.error} />}
      </SectionCard>
    </form>
  );
}

function WebsiteTracker({ project }: { project: Project }) {
  const update = useUpdateProject(project.id);
  const allowed = can(project.role, 'project.rename');
  // Shown as asked at once; back to the server's value if the change fails.
  const checked =
    update.isPending && update.variables.honourPrivacySignals !== undefined
      ? update.variables.honourPrivacySignals
      : project.honourPrivacySignals;
  return (
    <SectionCard
      title="Website tracker"
      description={
        allowed
          ? 'How track.js, fed by the project’s public keys, treats visitors who ask not to be tracked.'
          : 'Only owners and admins can change how the website tracker treats privacy signals.'
      }
    >
      <Switch
        label="Honour Global Privacy Control and Do Not Track"
        description="On: page views from browsers that send either signal are not recorded. track.js also never sends them when the browser exposes the signal to the page."
        checked={checked}
        disabled={!allowed || update.isPending}
        onChange={(event) =>
          update.mutate(
            { honourPrivacySignals: event.currentTarget.checked },
            {
              onSuccess: (changed) =>
                notifySuccess(
                  changed.honourPrivacySignals
                    ? 'Visitors who send a privacy signal are not recorded.'
                    : 'Visitors who send a privacy signal are recorded too.',
                  'Privacy setting saved',
                ),
              onError: (error) => notifyError(error, 'Could not change the privacy setting'),
            },
          )
        }
      />
    </SectionCard>
  );
}

function DangerZone({ project }: { project: Project }) {
  const [opened, { open, close }] = useDisclosure(false);
  const remove = useDeleteProject(project.id);
  const navigate = useNavigate();
  return (
    <SectionCard title="Danger zone" danger>
      <Group justify="space-between" gap="md" wrap="wrap">
        <div style={{ flex: '1 1 18rem' }}>
          <Text size="sm" fw={600}>
            Delete this project
          </Text>
          <Text size="sm" c="dimmed">
            Its metrics, events, API keys and members go with it. This cannot be undone.
          </Text>
        </div>
        <Button color="red" variant="outline" leftSection={<IconTrash size={16} />} onClick={open}>
          Delete project
        </Button>
      </Group>
      <ConfirmDelete
        opened={opened}
        onClose={close}
        title="Delete this project?"
        confirmLabel="Delete project"
        typeToConfirm={project.name}
        onConfirm={async () => {
          await remove.mutateAsync();
          notifySuccess(`“${project.name}” and all its data were deleted.`, 'Project deleted');
          await navigate('/', { replace: true });
        }}
      >
        <b>{project.name}</b> will be deleted with all its metrics, events and API keys. Code still
        sending events with its keys will get errors. This cannot be undone.
      </ConfirmDelete>
    </SectionCard>
  );
}

export function ProjectSettingsPage() {
  const project = useCurrentProject();
  return (
    <>
      <PageHeader
        title="Settings"
        documentTitle={`Settings · ${project.name}`}
        description={`The name, members, website tracker, usage and limits of ${project.name}.`}
      />
      <Stack gap="xl" maw={760}>
        <General project={project} />
        <MembersSection project={project} />
        <WebsiteTracker project={project} />
        <UsageSection project={project} />
        {can(project.role, 'project.delete') && <DangerZone project={project} />}
      </Stack>
    </>
  );
}
