import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, seg } from '../api/client';
import type {
  AcceptedInvitation,
  AcceptInvitationBody,
  CreatedInvitation,
  Invitation,
  InvitationPreview,
  InviteBody,
} from '../api/types';
import { useStartSession } from './auth';
import { queryKeys } from './query-keys';

const invitationsPath = (projectId: string) => `/api/projects/${seg(projectId)}/invitations`;

/** The pending invitations of a project, newest first (owner, admin: pass `enabled` so). */
export function useInvitations(projectId: string, enabled = true) {
  return useQuery({
    queryKey: queryKeys.invitations(projectId),
    queryFn: ({ signal }) =>
      api
        .get<{ invitations: Invitation[] }>(invitationsPath(projectId), { signal })
        .then((r) => r.invitations),
    enabled,
  });
}

/**
 * Invites an address with a role (owner, admin; only an owner invites an owner). The answer's
 * link is shown this once; inviting the same address again replaces its pending invitation.
 * 409 ALREADY_MEMBER when the address is a member.
 */
export function useInvite(projectId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: InviteBody) => api.post<CreatedInvitation>(invitationsPath(projectId), body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.invitations(projectId) }),
  });
}

/** Withdraws a pending invitation: its link stops working at once. */
export function useWithdrawInvitation(projectId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (invitationId: string) =>
      api.delete(`${invitationsPath(projectId)}/${seg(invitationId)}`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.invitations(projectId) }),
  });
}

/**
 * What an invitation link offers (no session needed). 400 INVITATION_INVALID when the link is
 * unknown, used, withdrawn, replaced or expired. Read once: accepting it makes it invalid.
 */
export function useInvitationPreview(token: string) {
  return useQuery({
    queryKey: queryKeys.invitation(token),
    queryFn: ({ signal }) =>
      api
        .post<{ invitation: InvitationPreview }>('/api/invitations/lookup', { token }, { signal })
        .then((r) => r.invitation),
    enabled: token !== '',
    staleTime: Number.POSITIVE_INFINITY,
    refetchOnWindowFocus: false,
  });
}

/**
 * Accepts an invitation. Signed in as the invited address: the token alone. Signed out: with a
 * password (and a name), which creates the invited address's account and signs it in.
 */
export function useAcceptInvitation() {
  const queryClient = useQueryClient();
  const start = useStartSession();
  return useMutation({
    mutationFn: (body: AcceptInvitationBody) =>
      api.post<AcceptedInvitation>('/api/invitations/accept', body),
    onSuccess: async (accepted) => {
      if (accepted.user !== undefined) start(accepted.user);
      else await queryClient.invalidateQueries({ queryKey: queryKeys.projects });
    },
  });
}
