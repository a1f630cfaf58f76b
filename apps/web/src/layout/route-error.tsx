import { Button, Center, Container, Group, Stack, Text, Title } from '@mantine/core';
import { IconRefresh } from '@tabler/icons-react';
import { isRouteErrorResponse, useRouteError } from 'react-router';
import { describeError } from '../lib/describe-error';
import { LogoMark } from './logo';

/** A page failed to load its code, usually because a new version was deployed meanwhile. */
function isChunkLoadError(error: unknown): boolean {
  return (
    error instanceof Error &&
    /dynamically imported module|Importing a module script failed|Failed to fetch/i.test(
      error.message,
    )
  );
}

/** What a page shows when rendering it threw: never a blank screen. */
export function RouteError() {
  const error = useRouteError();
  const stale = isChunkLoadError(error);
  const { title, detail } = isRouteErrorResponse(error)
    ? { title: `${error.status} ${error.statusText}`, detail: String(error.data ?? '') }
    : describeError(error);
  return (
    <Center mih="100dvh" p="md">
      <Container size={520}>
        <Stack align="center" ta="center" gap="md">
          <LogoMark size={40} />
          <Title order={2}>{stale ? 'Measurely was updated' : title}</Title>
          <Text c="dimmed">
            {stale ? 'Reload the page to get the new version of the dashboard.' : detail}
          </Text>
          <Group>
            <Button
              leftSection={<IconRefresh size={16} />}
              onClick={() => window.location.reload()}
            >
              Reload
            </Button>
            {!stale && (
              <Button variant="default" component="a" href="/">
                Go to your projects
              </Button>
            )}
          </Group>
        </Stack>
      </Container>
    </Center>
  );
}
