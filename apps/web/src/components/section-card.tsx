import { Box, Card, Divider, Group, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';

export interface SectionCardProps {
  title: string;
  description?: ReactNode;
  children: ReactNode;
  /** Buttons at the bottom right, under a divider (a form's Save). */
  footer?: ReactNode;
  /** Red border and title: for a danger zone. */
  danger?: boolean;
}

/** One settings section: a titled card, its content, and its actions at the bottom. */
export function SectionCard({ title, description, children, footer, danger }: SectionCardProps) {
  return (
    <Card p={0} style={danger ? { borderColor: 'var(--mantine-color-red-outline)' } : undefined}>
      <Stack gap="md" p={{ base: 'md', sm: 'lg' }}>
        <Box>
          <Title order={2} fz="lg" c={danger ? 'var(--mantine-color-red-light-color)' : undefined}>
            {title}
          </Title>
          {description !== undefined && (
            <Text size="sm" c="dimmed" mt={4}>
              {description}
            </Text>
          )}
        </Box>
        {children}
      </Stack>
      {footer !== undefined && (
        <>
          <Divider />
          <Group justify="flex-end" gap="sm" px={{ base: 'md', sm: 'lg' }} py="sm">
            {footer}
          </Group>
        </>
      )}
    </Card>
  );
}
