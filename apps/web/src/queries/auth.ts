import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api } from '../api/client';
import type {
  ChangePasswordBody,
  ResetPasswordBody,
  SignInBody,
  SignUpBody,
  User,
} from '../api/types';
import { queryKeys } from './query-keys';

const meQuery = {
  queryKey: queryKeys.me,
  queryFn: ({ signal }: { signal: AbortSignal }) =>
    api.get<{ user: User }>('/api/auth/me', { signal }).then((r) => r.user),
};

/** The signed-in user. Fails with UNAUTHENTICATED when there is no session. */
export function useMe() {
  return useQuery({ ...meQuery, staleTime: 60_000 });
}

/** After signing in as someone: nothing cached for a previous user survives. */
export function useStartSession() {
  const queryClient = useQueryClient();
  return (user: User) => {
    queryClient.clear();
    queryClient.setQueryData(queryKeys.me, user);
  };
}

export function useSignIn() {
  const start = useStartSession();
  return useMutation({
    mutationFn: (body: SignInBody) =>
      api.post<{ user: User }>('/api/auth/login', body).then((r) => r.user),
    onSuccess: start,
  });
}

export function useSignUp() {
  const start = useStartSession();
  return useMutation({
    mutationFn: (body: SignUpBody) =>
      api.post<{ user: User }>('/api/auth/signup', body).then((r) => r.user),
    onSuccess: start,
  });
}

/** Signs out, goes to the sign-in page, then forgets everything cached. */
export function useSignOut() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  return useMutation({
    mutationFn: () => api.post<void>('/api/auth/logout'),
    // Leave the signed-in pages first: cleared while they are mounted, their queries would
    // refetch and meet a 401.
    onSuccess: async () => {
      await navigate('/sign-in', { replace: true });
      queryClient.clear();
    },
  });
}

/**
 * Signs out and stays on a page that works signed out too (the invitation page), which then
 * shows what a signed-out visitor sees. Everything cached for the session is forgotten.
 */
export function useSignOutHere() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<void>('/api/auth/logout'),
    onSuccess: async () => {
      queryClient.removeQueries({
        predicate: (query) => !['me', 'invitation'].includes(String(query.queryKey[0])),
      });
      // Asked again: the 401 marks the visitor signed out (public pages are not redirected).
      await queryClient.resetQueries({ queryKey: queryKeys.me });
    },
  });
}

/** Always succeeds (202) whether or not the e-mail has an account. */
export function useForgotPassword() {
  return useMutation({
    mutationFn: (email: string) => api.post<void>('/api/auth/forgot', { email }),
  });
}

/** Sets the new password and signs in here (every other session is signed out). */
export function useResetPassword() {
  const start = useStartSession();
  return useMutation({
    mutationFn: (body: ResetPasswordBody) =>
      api.post<{ user: User }>('/api/auth/reset', body).then((r) => r.user),
    onSuccess: start,
  });
}

export function useUpdateProfile() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string }) =>
      api.patch<{ user: User }>('/api/auth/me', body).then((r) => r.user),
    onSuccess: (user) => queryClient.setQueryData(queryKeys.me, user),
  });
}

/** Needs the current password; every other session is signed out. */
export function useChangePassword() {
  return useMutation({
    mutationFn: (body: ChangePasswordBody) => api.post<void>('/api/auth/password', body),
  });
}

/**
 * The user when a session exists, checked afresh (not from the cache): for the sign-in and
 * sign-up pages, which send a signed-in visitor on.
 */
export function useSignedInUser(): User | undefined {
  const me = useQuery({ ...meQuery, refetchOnMount: 'always', retry: false });
  return me.isSuccess && !me.isFetching ? me.data : undefined;
}

/**
 * Whether someone is signed in, checked afresh, for a page that works both ways (the invitation
 * page): `checking` until the server has answered.
 */
export function useSession(): { user: User | undefined; checking: boolean } {
  const me = useQuery({ ...meQuery, refetchOnMount: 'always', retry: false });
  return { user: me.isSuccess && !me.isFetching ? me.data : undefined, checking: me.isFetching };
}
