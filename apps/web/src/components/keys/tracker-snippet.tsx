import { Stack, Text } from '@mantine/core';
import type { ApiKey } from '../../api/types';
import { CodeBlock } from '../code-block';

/** The allowed origins of a public key and the tag that installs the tracker. */
export function TrackerSnippet({ apiKey }: { apiKey: ApiKey }) {
  if (apiKey.snippet === undefined) return null;
  return (
    <Stack gap={6}>
      <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
        Allowed from {(apiKey.origins ?? []).join(', ')}
      </Text>
      <CodeBlock code={apiKey.snippet} title="HTML · every page" label="snippet" wrap />
    </Stack>
  );
}
