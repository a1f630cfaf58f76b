import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, seg } from '../api/client';
import type { ApiKey, CreateKeyBody, NewApiKey, UpdateKeyBody } from '../api/types';
import { queryKeys } from './query-keys';

const keysPath = (projectId: string) => `/api/projects/${seg(projectId)}/keys`;

/** Puts a key (new, rotated or revoked) into the cached list, without its secret. */
function useStoreKey(projectId: string) {
  const queryClient = useQueryClient();
  return ({ secret: _secret, ...key }: ApiKey & { secret?: string }) => {
    queryClient.setQueryData<ApiKey[]>(queryKeys.keys(projectId), (list) => {
      if (list === undefined) return list;
      return list.some((k) => k.id === key.id)
        ? list.map((k) => (k.id === key.id ? key : k))
        : [...list, key];
    });
    return queryClient.invalidateQueries({ queryKey: queryKeys.keys(projectId) });
  };
}

/** The project's API keys, oldest first, revoked ones included; never their secrets. */
export function useKeys(projectId: string) {
  return useQuery({
    queryKey: queryKeys.keys(projectId),
    queryFn: ({ signal }) =>
      api.get<{ keys: ApiKey[] }>(keysPath(projectId), { signal }).then((r) => r.keys),
  });
}

/**
 * Creates a key (owner, admin); the answer holds its secret, shown this once. `then` runs after
 * the key is in the cached list (e.g. to remember its secret for this tab).
 */
export function useCreateKey(projectId: string, then?: (key: NewApiKey) => void) {
  const store = useStoreKey(projectId);
  return useMutation({
    mutationFn: (body: CreateKeyBody) =>
      api.post<{ key: NewApiKey }>(keysPath(projectId), body).then((r) => r.key),
    onSuccess: (key) => {
      then?.(key);
      void store(key);
    },
  });
}

/** Gives a key a new secret (owner, admin); the old one is refused from the next request on. */
export function useRotateKey(projectId: string) {
  const store = useStoreKey(projectId);
  return useMutation({
    mutationFn: (keyId: string) =>
      api
        .post<{ key: NewApiKey }>(`${keysPath(projectId)}/${seg(keyId)}/rotate`)
        .then((r) => r.key),
    onSuccess: (key) => void store(key),
  });
}

/** Renames a key or changes a public key's allowed origins (owner, admin). */
export function useUpdateKey(projectId: string) {
  const store = useStoreKey(projectId);
  return useMutation({
    mutationFn: ({ keyId, ...body }: UpdateKeyBody & { keyId: string }) =>
      api.patch<{ key: ApiKey }>(`${keysPath(projectId)}/${seg(keyId)}`, body).then((r) => r.key),
    onSuccess: (key) => store(key),
  });
}

/** Revokes a key (owner, admin); it stays listed as revoked. */
export function useRevokeKey(projectId: string) {
  const store = useStoreKey(projectId);
  return useMutation({
    mutationFn: (keyId: string) =>
      api.delete<{ key: ApiKey }>(`${keysPath(projectId)}/${seg(keyId)}`).then((r) => r.key),
    onSuccess: (key) => store(key),
  });
}
