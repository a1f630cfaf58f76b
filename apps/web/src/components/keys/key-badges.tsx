import { Badge } from '@mantine/core';
import type { ApiKey, KeyScope } from '../../api/types';

export const SCOPE_LABELS: Record<KeyScope, string> = {
  ingest: 'Ingest',
  read: 'Read',
  public: 'Public',
};
const SCOPE_COLORS: Record<KeyScope, string> = { ingest: 'blue', read: 'grape', public: 'cyan' };

/** What a key may do: ingest (send events), read (query metrics), public (website tracker). */
export function KeyScopeBadge({ scope }: { scope: KeyScope }) {
  return (
    <Badge variant="light" color={SCOPE_COLORS[scope]} radius="sm" miw="max-content">
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
