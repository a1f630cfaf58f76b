import {
  Avatar,
  Badge,
  Button,
  Card,
  Group,
  Paper,
  SimpleGrid,
  Skeleton,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { useQueries } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import type { Project } from '../api/types';
import { ErrorAlert } from '../components/error-alert';
import { NewProjectWizard } from '../components/new-project-wizard';
import { PageHeader } from '../components/page-header';
import { avatarColor, formatDate, formatNumber } from '../lib/format';
import { ROLE_LABELS } from '../lib/permissions';
import { usePageTitle } from '../lib/use-page-title';
import { useMe } from '../queries/auth';
import { metricsQuery } from '../queries/metrics';
import { useProjects } from '../queries/projects';

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed" fw={500}>
        {label}
      </Text>
      <Text fz="xl" fw={650} lh={1.3}>
        {value}
      </Text>
    </div>
  );
}

function ProjectCard({ project, metrics }: { project: Project; metrics: number | undefined }) {
  const { events, quota } = project.usage;
  return (
    <Card
      component={Link}
      to={`/projects/${project.id}/metrics`}
      style={{ textDecoration: 'none' }}
      className="mly-hover-card"
    >
      <Stack gap="lg" h="100%">
        <Group justify="space-between" wrap="nowrap" gap="sm" align="flex-start">
          <Group gap="sm" wrap="nowrap" miw={0} align="flex-start">
            <Avatar name={project.name} color={avatarColor(project.name)} radius="md" size={40} />
            <Title
              order={3}
              fz="lg"
              lh={1.35}
              lineClamp={2}
              mt={8}
              style={{ overflowWrap: 'anywhere' }}
            >
              {project.name}
            </Title>
          </Group>
          <Badge variant="light" color="gray" style={{ flexShrink: 0 }} mt={10}>
            {ROLE_LABELS[project.role]}
          </Badge>
        </Group>
        <SimpleGrid cols={2} spacing="md">
          <Stat label="Metrics" value={metrics === undefined ? '…' : formatNumber(metrics)} />
          <Stat
            label="Events this month"
            value={`${formatNumber(events, { compact: true })}${
              quota === null ? '' : ` / ${formatNumber(quota, { compact: true })}`
            }`}
          />
        </SimpleGrid>
        <Text size="xs" c="dimmed" mt="auto">
          Created {formatDate(project.createdAt)}
        </Text>
      </Stack>
    </Card>
  );
}

function Welcome() {
  const { data: user } = useMe();
  usePageTitle('Welcome');
  const firstName = user?.name.split(/\s+/)[0];
  return (
    <Stack maw={640} mx="auto" gap="xl" py={{ base: 0, sm: 'xl' }}>
      <div>
        <Title order={1} fz={{ base: 24, sm: 28 }}>
          Welcome{firstName ? `, ${firstName}` : ''}
        </Title>
        <Text c="dimmed" mt={6}>
          Start with a project: it holds your metrics, the keys your code sends them with, and the
          people who watch them.
        </Text>
      </div>
      <Paper withBorder p={{ base: 'md', sm: 'xl' }}>
        <NewProjectWizard />
      </Paper>
    </Stack>
  );
}

/** Home: my projects as cards, or the first-project wizard when there are none. */
export function ProjectsPage() {
  const projects = useProjects();
  // Once the welcome wizard shows, it stays until the user leaves it: creating the first project
  // refreshes the list, and the wizard must still show that project's key (shown only once).
  const [welcoming, setWelcoming] = useState(false);
  useEffect(() => {
    if (projects.data?.length === 0) setWelcoming(true);
  }, [projects.data]);
  const counts = useQueries({
    queries: (projects.data ?? []).map((p) => metricsQuery(p.id)),
    combine: (results) => results.map((r) => r.data?.length),
  });

  if (projects.isPending) {
    return (
      <>
        <PageHeader title="Projects" />
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
          {[0, 1, 2].map((i) => (
            <Skeleton key={i} h={176} radius="md" />
          ))}
        </SimpleGrid>
      </>
    );
  }
  if (projects.isError) {
    return (
      <>
        <PageHeader title="Projects" />
        <ErrorAlert
          error={projects.error}
          title="Could not load your projects"
          onRetry={() => void projects.refetch()}
        />
      </>
    );
  }
  if (welcoming || projects.data.length === 0) return <Welcome />;

  return (
    <>
      <PageHeader
        title="Projects"
        description="Each project has its own metrics, API keys and members."
        actions={
          <Button component={Link} to="/projects/new" leftSection={<IconPlus size={16} />}>
            New project
          </Button>
        }
      />
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="lg">
        {projects.data.map((project, i) => (
          <ProjectCard key={project.id} project={project} metrics={counts[i]} />
        ))}
      </SimpleGrid>
    </>
  );
}
