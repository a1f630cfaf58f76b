import { Badge } from '@mantine/core';
import type { ApiKey, KeyScope } from '../../api/types';

export const SCOPE_LABELS: Record<KeyScope, string> = { ingest: 'Ingest', read: 'Read' };

/** What a key may do: ingest (send events) or read (query metrics). */
export function KeyScopeBadge({ scope }: { scope: KeyScope }) {
  return (
    <Badge
      variant="light"
      color={scope === 'ingest' ? 'blue' : 'grape'}
      radius="sm"
      miw="max-content"
    >
      {SCOPE_LABELS[scope]}
    </Badge>
  );
}

export function KeyStatusBadge({ status }: { status: ApiKey['status'] }) {
  return status === 'active' ? (
    <Badge variant="dot" color="teal" miw="max-content">
      Active
    </Badge>
  ) : (
    <Badge variant="dot" color="gray" miw="max-content">
      Revoked
    </Badge>
  );
}
