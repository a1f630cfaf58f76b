import { AppShell, Badge, Group, NavLink, Progress, Stack, Text } from '@mantine/core';
import { IconChartLine, IconKey, IconSettings } from '@tabler/icons-react';
import type { ComponentType } from 'react';
import { Link, useLocation } from 'react-router';
import type { Project } from '../api/types';
import { formatNumber } from '../lib/format';
import { ROLE_LABELS } from '../lib/permissions';
import { useProject } from '../queries/projects';

interface Section {
  path: string;
  label: string;
  icon: ComponentType<{ size?: number; stroke?: number }>;
}

/** The pages of a project, in navbar order. Add a section here and a route in routes.tsx. */
export const PROJECT_SECTIONS: Section[] = [
  { path: 'metrics', label: 'Metrics', icon: IconChartLine },
  { path: 'keys', label: 'API keys', icon: IconKey },
  { path: 'settings', label: 'Settings', icon: IconSettings },
];

function Usage({ project }: { project: Project }) {
  const { events, quota } = project.usage;
  const share = quota === null || quota === 0 ? null : Math.min(100, (events / quota) * 100);
  return (
    <Stack gap={6}>
      <Group justify="space-between" gap="xs" wrap="nowrap">
        <Text size="xs" c="dimmed" fw={500}>
          Events this month
        </Text>
        <Badge size="xs" variant="light" color="gray">
          {ROLE_LABELS[project.role]}
        </Badge>
      </Group>
      <Text size="sm" fw={600}>
        {formatNumber(events)}
        <Text span size="xs" c="dimmed" fw={400}>
          {quota === null ? ' · no quota' : ` of ${formatNumber(quota, { compact: true })}`}
        </Text>
      </Text>
      {share !== null && (
        <Progress
          value={share}
          size="sm"
          color={share >= 90 ? 'red' : share >= 75 ? 'orange' : undefined}
          aria-label="Share of the monthly quota used"
        />
      )}
    </Stack>
  );
}

/** The left navbar inside a project: its sections, then its usage this month. */
export function ProjectNavbar({ projectId }: { projectId: string }) {
  const { pathname } = useLocation();
  const { data: project } = useProject(projectId);
  const base = `/projects/${projectId}`;
  return (
    <>
      <AppShell.Section grow>
        <Stack gap={4}>
          {PROJECT_SECTIONS.map(({ path, label, icon: Icon }) => {
            const to = `${base}/${path}`;
            return (
              <NavLink
                key={path}
                component={Link}
                to={to}
                label={label}
                leftSection={<Icon size={18} stroke={1.6} />}
                active={pathname === to || pathname.startsWith(`${to}/`)}
                variant="light"
                style={{ borderRadius: 'var(--mantine-radius-md)' }}
                fw={500}
              />
            );
          })}
        </Stack>
      </AppShell.Section>
      {project !== undefined && (
        <AppShell.Section pt="md" style={{ borderTop: '1px solid var(--app-shell-border-color)' }}>
          <Usage project={project} />
        </AppShell.Section>
      )}
    </>
  );
}
