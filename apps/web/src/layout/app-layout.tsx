import { AppShell, Box, Burger, Group, Progress } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useEffect } from 'react';
import { Outlet, useLocation, useMatch, useNavigation } from 'react-router';
import { isApiError } from '../api/client';
import { useProject } from '../queries/projects';
import { Logo } from './logo';
import { ProjectNavbar } from './project-navbar';
import { ProjectSwitcher } from './project-switcher';
import { ThemeToggle } from './theme-toggle';
import { UserMenu } from './user-menu';

/** The project in the URL, if any (not /projects/new), unless it does not exist. */
function useProjectIdFromUrl(): string | undefined {
  const match = useMatch('/projects/:projectId/*');
  const id = match?.params.projectId;
  const projectId = id === 'new' ? undefined : id;
  const { error } = useProject(projectId);
  return isApiError(error, 'PROJECT_NOT_FOUND') ? undefined : projectId;
}

/**
 * The signed-in app: a top bar (logo, project switcher, theme, account) and, inside a project,
 * a navbar that folds behind a burger below 768 px.
 */
export function AppLayout() {
  const [opened, { toggle, close }] = useDisclosure(false);
  const projectId = useProjectIdFromUrl();
  const { pathname } = useLocation();
  const navigation = useNavigation();

  // On a phone, following a navbar link closes the navbar.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on each navigation
  useEffect(() => close(), [pathname, close]);

  return (
    <AppShell
      header={{ height: 60 }}
      navbar={
        projectId === undefined
          ? undefined
          : { width: 248, breakpoint: 'sm', collapsed: { mobile: !opened } }
      }
      padding={{ base: 'md', sm: 'xl' }}
    >
      <AppShell.Header>
        {navigation.state !== 'idle' && (
          <Progress
            value={100}
            animated
            size={2}
            radius={0}
            pos="absolute"
            top={0}
            left={0}
            right={0}
            aria-label="Loading the page"
          />
        )}
        <Group
          h="100%"
          px={{ base: 'sm', sm: 'md' }}
          justify="space-between"
          wrap="nowrap"
          gap="xs"
        >
          <Group gap="xs" wrap="nowrap" miw={0} style={{ flex: 1 }}>
            {projectId !== undefined && (
              <Burger
                opened={opened}
                onClick={toggle}
                hiddenFrom="sm"
                size="sm"
                aria-label={opened ? 'Close navigation' : 'Open navigation'}
              />
            )}
            <Logo compact={projectId !== undefined} />
            <Box c="dimmed" fz="lg" visibleFrom="xs" aria-hidden="true" style={{ flexShrink: 0 }}>
              /
            </Box>
            <Box miw={0} style={{ flexShrink: 1 }}>
              <ProjectSwitcher projectId={projectId} />
            </Box>
          </Group>
          <Group gap="xs" wrap="nowrap" style={{ flexShrink: 0 }}>
            <ThemeToggle />
            <UserMenu />
          </Group>
        </Group>
      </AppShell.Header>
      {projectId !== undefined && (
        <AppShell.Navbar p="md">
          <ProjectNavbar projectId={projectId} />
        </AppShell.Navbar>
      )}
      <AppShell.Main>
        <Box maw={1120} mx="auto">
          <Outlet />
        </Box>
      </AppShell.Main>
    </AppShell>
  );
}
