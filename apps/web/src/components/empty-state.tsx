import { EmptyState as MantineEmptyState, Paper } from '@mantine/core';
import type { ReactNode } from 'react';

export interface EmptyStateProps {
  icon: ReactNode;
  title: string;
  description?: ReactNode;
  /** Buttons: what to do to fill the list. */
  action?: ReactNode;
  /** Draws a dashed frame, for an empty list standing alone on a page. */
  framed?: boolean;
}

/** What a list shows when it has nothing in it: what goes here, and how to add the first one. */
export function EmptyState({ icon, title, description, action, framed = true }: EmptyStateProps) {
  const content = (
    <MantineEmptyState
      icon={icon}
      variant="light"
      title={title}
      description={description}
      py={framed ? 'xl' : 'md'}
      px="md"
    >
      {action !== undefined && <MantineEmptyState.Actions>{action}</MantineEmptyState.Actions>}
    </MantineEmptyState>
  );
  if (!framed) return content;
  return (
    <Paper withBorder py="xl" style={{ borderStyle: 'dashed', background: 'transparent' }}>
      {content}
    </Paper>
  );
}
