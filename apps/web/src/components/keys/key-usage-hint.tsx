import { Text } from '@mantine/core';
import type { KeyScope } from '../../api/types';

/** One sentence on where a key of this scope goes. */
export function KeyUsageHint({ scope }: { scope: KeyScope }) {
  if (scope === 'public') {
    return (
      <Text size="sm" c="dimmed">
        Put the snippet on every page of the site, before <code>&lt;/head&gt;</code>. The key is
        meant to be seen: it only records page views, from the allowed origins.
      </Text>
    );
  }
  return (
    <Text size="sm" c="dimmed">
      Send it as <code>Authorization: Bearer …</code>{' '}
      {scope === 'ingest'
        ? 'with the events your code posts to /event/v1.'
        : 'when you query or export metrics through the API.'}
    </Text>
  );
}
