import { ActionIcon, Button, Tooltip } from '@mantine/core';
import { IconCheck, IconCopy } from '@tabler/icons-react';
import { useCopy } from '../lib/clipboard';

export interface CopyButtonProps {
  value: string;
  /** What is copied, for the tooltip and screen readers, e.g. "API key". */
  label?: string;
  /** An icon button (default), or a button that says "Copy". */
  variant?: 'icon' | 'button';
}

/** Copies `value` and says so; says so too when the browser refuses. */
export function CopyButton({ value, label = 'value', variant = 'icon' }: CopyButtonProps) {
  const { copy, copied, failed } = useCopy();
  const status = copied ? 'Copied' : failed ? 'Copy failed: select and copy it' : `Copy ${label}`;
  const icon = copied ? <IconCheck size={16} /> : <IconCopy size={16} />;
  if (variant === 'button') {
    return (
      <Button
        variant={copied ? 'light' : 'filled'}
        color={copied ? 'teal' : failed ? 'red' : undefined}
        leftSection={icon}
        onClick={() => void copy(value)}
      >
        {copied ? 'Copied' : failed ? 'Copy failed' : 'Copy'}
      </Button>
    );
  }
  return (
    <Tooltip label={status} position="top" openDelay={0} opened={copied || failed || undefined}>
      <ActionIcon
        color={copied ? 'teal' : failed ? 'red' : 'gray'}
        size="lg"
        onClick={() => void copy(value)}
        aria-label={status}
      >
        {icon}
      </ActionIcon>
    </Tooltip>
  );
}
