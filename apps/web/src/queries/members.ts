import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, seg } from '../api/client';
import type { Member, Project, Role } from '../api/types';
import { queryKeys } from './query-keys';

const membersPath = (projectId: string) => `/api/projects/${seg(projectId)}/members`;

/** The members of a project with their roles, as any member may see them. */
export function useMembers(projectId: string) {
  return useQuery({
    queryKey: queryKeys.members(projectId),
    queryFn: ({ signal }) =>
      api.get<{ members: Member[] }>(membersPath(projectId), { signal }).then((r) => r.members),
  });
}

/** Changes a member's role; 409 LAST_OWNER for the last owner. My own change refreshes my role. */
export function useChangeMemberRole(projectId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: Role }) =>
      api
        .patch<{ member: Member }>(`${membersPath(projectId)}/${seg(userId)}`, { role })
        .then((r) => r.member),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.project(projectId) }),
  });
}

/** Removes a member (owner, admin); 409 LAST_OWNER for the last owner. */
export function useRemoveMember(projectId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) => api.delete(`${membersPath(projectId)}/${seg(userId)}`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.members(projectId) }),
  });
}

/** Leaves the project (any member but its last owner); it drops out of my list. */
export function useLeaveProject(projectId: string, userId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.delete(`${membersPath(projectId)}/${seg(userId)}`),
    // As for a deleted project, its own queries are left to expire rather than refetch (403).
    onSuccess: () =>
      queryClient.setQueryData<Project[]>(queryKeys.projects, (list) =>
        list?.filter((p) => p.id !== projectId),
      ),
  });
}
