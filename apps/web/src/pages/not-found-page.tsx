import { Button, Center, Stack, Text, Title } from '@mantine/core';
import { IconArrowLeft } from '@tabler/icons-react';
import { Link } from 'react-router';
import { LogoMark } from '../layout/logo';
import { usePageTitle } from '../lib/use-page-title';

/** Any URL the dashboard does not know. */
export function NotFoundPage() {
  usePageTitle('Page not found');
  return (
    <Center mih="100dvh" p="md">
      <Stack align="center" ta="center" gap="md" maw={440}>
        <LogoMark size={40} />
        <Text c="dimmed" fw={600} fz="sm" lts={1}>
          404
        </Text>
        <Title order={1} fz={28}>
          This page does not exist
        </Title>
        <Text c="dimmed">
          The link may be mistyped, or what it pointed to was moved or deleted.
        </Text>
        <Button component={Link} to="/" leftSection={<IconArrowLeft size={16} />} mt="xs">
          Go to your projects
        </Button>
      </Stack>
    </Center>
  );
}
