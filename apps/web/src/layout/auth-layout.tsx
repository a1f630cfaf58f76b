import { Anchor, Box, Center, Group, Paper, Stack, Text } from '@mantine/core';
import { Outlet } from 'react-router';
import { Logo } from './logo';
import { ThemeToggle } from './theme-toggle';

/** The signed-out pages: a card in the middle of the screen under the logo. */
export function AuthLayout() {
  return (
    <Box mih="100dvh" style={{ display: 'flex', flexDirection: 'column' }}>
      <Group justify="space-between" px={{ base: 'md', sm: 'xl' }} h={64}>
        <Logo />
        <ThemeToggle />
      </Group>
      <Center style={{ flex: 1 }} px="md" pb={64}>
        <Stack w="100%" maw={420} gap="lg">
          <Paper withBorder shadow="sm" p={{ base: 'lg', sm: 32 }}>
            <Outlet />
          </Paper>
          <Text size="xs" c="dimmed" ta="center">
            Self-hosted metrics ·{' '}
            <Anchor href="/docs" size="xs" c="dimmed" underline="always">
              API reference
            </Anchor>
          </Text>
        </Stack>
      </Center>
    </Box>
  );
}
