import { Button } from '@mantine/core';
import { IconArrowLeft, IconFolderOff } from '@tabler/icons-react';
import { Link, Outlet, useOutletContext, useParams } from 'react-router';
import { isApiError } from '../api/client';
import type { Project } from '../api/types';
import { EmptyState } from '../components/empty-state';
import { ErrorAlert } from '../components/error-alert';
import { PageLoader } from '../components/page-loader';
import { useLiveProject } from '../queries/live';
import { useProject } from '../queries/projects';

export interface ProjectContext {
  project: Project;
}

/**
 * The project of the URL, loaded once for every page under /projects/:projectId. Pages read it
 * with useCurrentProject(); its `role` says what the user may do (lib/permissions.ts).
 */
export function ProjectLayout() {
  const { projectId = '' } = useParams();
  const { data: project, error, isPending, refetch } = useProject(projectId);
  // One live stream per project while any of its pages is open: charts and totals follow it.
  useLiveProject(project?.id);

  if (project !== undefined) return <Outlet context={{ project } satisfies ProjectContext} />;
  if (isPending) return <PageLoader />;
  if (isApiError(error, 'PROJECT_NOT_FOUND')) {
    return (
      <EmptyState
        icon={<IconFolderOff size={28} stroke={1.5} />}
        title="Project not found"
        description="It was deleted, or you are not a member of it. Ask an owner to invite you."
        action={
          <Button component={Link} to="/" leftSection={<IconArrowLeft size={16} />}>
            Your projects
          </Button>
        }
      />
    );
  }
  return (
    <ErrorAlert error={error} title="Could not load the project" onRetry={() => void refetch()} />
  );
}

/** The project of the page, from ProjectLayout. */
export function useCurrentProject(): Project {
  return useOutletContext<ProjectContext>().project;
}
