import { Button, Menu, ScrollArea, Text } from '@mantine/core';
import { IconCheck, IconFolders, IconPlus, IconSelector } from '@tabler/icons-react';
import { Link, useLocation } from 'react-router';
import { useProjects } from '../queries/projects';

/** The section of the current project page, kept when switching: /projects/a/keys → /projects/b/keys. */
function sectionOf(pathname: string): string {
  const match = /^\/projects\/[^/]+\/([^/]+)/.exec(pathname);
  return match?.[1] ?? 'metrics';
}

/** The current project's name in the top bar; opens a menu of my projects and "New project". */
export function ProjectSwitcher({ projectId }: { projectId: string | undefined }) {
  const { data: projects, isPending, isError } = useProjects();
  const { pathname } = useLocation();
  const current = projects?.find((p) => p.id === projectId);
  const section = sectionOf(pathname);

  return (
    <Menu position="bottom-start" width={280}>
      <Menu.Target>
        <Button
          variant="subtle"
          color="gray"
          rightSection={<IconSelector size={16} stroke={1.6} />}
          px="xs"
          miw={0}
          maw="100%"
          c="var(--mantine-color-text)"
          styles={{ inner: { minWidth: 0 }, label: { minWidth: 0 } }}
          aria-label={`${current?.name ?? 'Projects'}: switch project`}
        >
          <Text span fw={600} size="sm" truncate="end" miw={0}>
            {current?.name ?? 'Projects'}
          </Text>
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>Projects</Menu.Label>
        {isPending && <Menu.Item disabled>Loading…</Menu.Item>}
        {isError && <Menu.Item disabled>Could not load the projects</Menu.Item>}
        {projects?.length === 0 && <Menu.Item disabled>No projects yet</Menu.Item>}
        <ScrollArea.Autosize mah={320} type="auto">
          {projects?.map((project) => (
            <Menu.Item
              key={project.id}
              component={Link}
              to={`/projects/${project.id}/${section}`}
              rightSection={project.id === projectId ? <IconCheck size={14} /> : null}
            >
              <Text size="sm" truncate="end" maw={200}>
                {project.name}
              </Text>
            </Menu.Item>
          ))}
        </ScrollArea.Autosize>
        <Menu.Divider />
        <Menu.Item component={Link} to="/" leftSection={<IconFolders size={16} stroke={1.6} />}>
          All projects
        </Menu.Item>
        <Menu.Item
          component={Link}
          to="/projects/new"
          leftSection={<IconPlus size={16} stroke={1.6} />}
        >
          New project
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
