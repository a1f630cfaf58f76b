import { Box, Group, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { usePageTitle } from '../lib/use-page-title';

export interface PageHeaderProps {
  title: ReactNode;
  description?: ReactNode;
  /** Buttons on the right (below the title on a phone). */
  actions?: ReactNode;
  /** Above the title: a back link or breadcrumbs. */
  above?: ReactNode;
  /** The browser tab's title; default `title` when it is text. */
  documentTitle?: string;
}

/** The top of every page: one h1, what the page is for, and its main actions. */
export function PageHeader({ title, description, actions, above, documentTitle }: PageHeaderProps) {
  usePageTitle(documentTitle ?? (typeof title === 'string' ? title : undefined));
  return (
    <Stack gap={6} mb="xl">
      {above}
      <Group justify="space-between" align="flex-start" gap="md" wrap="wrap">
        <Box miw={0} style={{ flex: '1 1 16rem' }}>
          <Title order={1} fz={{ base: 22, sm: 26 }} lh={1.25} style={{ overflowWrap: 'anywhere' }}>
            {title}
          </Title>
          {description !== undefined && (
            <Text c="dimmed" size="sm" mt={6} maw={640}>
              {description}
            </Text>
          )}
        </Box>
        {actions !== undefined && (
          <Group gap="sm" wrap="wrap">
            {actions}
          </Group>
        )}
      </Group>
    </Stack>
  );
}
