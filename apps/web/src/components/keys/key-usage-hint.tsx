import { Text } from '@mantine/core';
import type { KeyScope } from '../../api/types';

/** One sentence on where a key of this scope goes. */
export function KeyUsageHint({ scope }: { scope: KeyScope }) {
  return (
    <Text size="sm" c="dimmed">
      Send it as <code>Authorization: Bearer …</code>{' '}
      {scope === 'ingest'
        ? 'with the events your code posts to /event/v1.'
        : 'when you query or export metrics through the API.'}
    </Text>
  );
}
