import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, seg } from '../api/client';
import type { NewApiKey, Project, UpdateProjectBody } from '../api/types';
import { queryKeys } from './query-keys';

/** Projects I am a member of, with my role in each. */
export function useProjects() {
  return useQuery({
    queryKey: queryKeys.projects,
    queryFn: ({ signal }) =>
      api.get<{ projects: Project[] }>('/api/projects', { signal }).then((r) => r.projects),
  });
}

/** A project with my role and this month's usage; nothing is fetched without an id. */
export function useProject(projectId: string | undefined) {
  const queryClient = useQueryClient();
  return useQuery<Project>({
    queryKey: queryKeys.project(projectId ?? ''),
    queryFn: ({ signal }) =>
      api
        .get<{ project: Project }>(`/api/projects/${seg(projectId ?? '')}`, { signal })
        .then((r) => r.project),
    enabled: projectId !== undefined,
    // The list already holds it: show that at once, then refresh.
    placeholderData: () =>
      queryClient.getQueryData<Project[]>(queryKeys.projects)?.find((p) => p.id === projectId),
  });
}

/** Creates a project I own; it comes with one ingest key whose secret is shown once. */
export function useCreateProject() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string }) =>
      api.post<{ project: Project; apiKey: NewApiKey }>('/api/projects', body),
    onSuccess: ({ project }) => {
      queryClient.setQueryData(queryKeys.project(project.id), project);
      return queryClient.invalidateQueries({ queryKey: queryKeys.projects, exact: true });
    },
  });
}

/** Renames the project or changes its settings (owner, admin). */
export function useUpdateProject(projectId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: UpdateProjectBody) =>
      api
        .patch<{ project: Project }>(`/api/projects/${seg(projectId)}`, body)
        .then((r) => r.project),
    onSuccess: (project) => {
      queryClient.setQueryData(queryKeys.project(projectId), project);
      queryClient.setQueryData<Project[]>(queryKeys.projects, (list) =>
        list?.map((p) => (p.id === project.id ? project : p)),
      );
    },
  });
}

/** Deletes the project and all its data (owner only). */
export function useDeleteProject(projectId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.delete(`/api/projects/${seg(projectId)}`),
    // Its own queries are left to expire: removing them while its pages are still mounted
    // would refetch them (and 404) on the way out.
    onSuccess: () =>
      queryClient.setQueryData<Project[]>(queryKeys.projects, (list) =>
        list?.filter((p) => p.id !== projectId),
      ),
  });
}
