import { useMutation } from '@tanstack/react-query';
import { request, seg } from '../api/client';
import { useCreateKey } from './keys';

// A secret created on this page is kept in memory (never stored) so the snippets and the
// "Push a value" dialog can reuse it until the tab closes.
const secrets = new Map<string, string>();

export function rememberedIngestKey(projectId: string): string | undefined {
  return secrets.get(projectId);
}

export function rememberIngestKey(projectId: string, secret: string): void {
  secrets.set(projectId, secret);
}

/** Creates an ingest key whose secret is shown once (owner, admin), remembered for this tab. */
export function useCreateIngestKey(projectId: string) {
  return useCreateKey(projectId, (key) => rememberIngestKey(projectId, key.secret));
}

export interface PushEventInput {
  metricId: string;
  secret: string;
  value: number;
  filters: Record<string, string>;
}

/** Sends one event as any client would: POST /event/v1/{metric} with an ingest key. */
export function usePushEvent(projectId: string) {
  return useMutation({
    mutationFn: ({ metricId, secret, value, filters }: PushEventInput) =>
      request<{ ok: true; metricId: string }>(`/event/v1/${seg(metricId)}`, {
        method: 'POST',
        body: Object.keys(filters).length === 0 ? { value } : { value, filters },
        headers: { authorization: `Bearer ${secret.trim()}` },
      }),
    onSuccess: (_, { secret }) => rememberIngestKey(projectId, secret.trim()),
  });
}
