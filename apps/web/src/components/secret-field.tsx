import { Alert, Code, Group, Stack } from '@mantine/core';
import { IconEyeExclamation } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { CopyButton } from './copy-button';

export interface SecretFieldProps {
  secret: string;
  /** What it is, for the copy button: "API key". */
  label?: string;
  /** What to do with it, above it; by default, to copy it now and keep it safe. */
  notice?: ReactNode;
}

/** A secret shown this once (a new or rotated API key), with a copy button and a warning. */
export function SecretField({
  secret,
  label = 'API key',
  notice = 'Copy it now and keep it somewhere safe: it is shown only this once.',
}: SecretFieldProps) {
  return (
    <Stack gap="sm">
      <Alert color="yellow" variant="light" icon={<IconEyeExclamation size={20} />} p="sm">
        {notice}
      </Alert>
      <Group
        gap="xs"
        wrap="nowrap"
        p={6}
        pl="sm"
        style={{
          border: '1px solid var(--mantine-color-default-border)',
          borderRadius: 'var(--mantine-radius-md)',
          background: 'var(--mantine-color-default-hover)',
        }}
      >
        <Code
          fz="sm"
          bg="transparent"
          style={{ flex: 1, wordBreak: 'break-all', userSelect: 'all' }}
          aria-label={label}
        >
          {secret}
        </Code>
        <CopyButton value={secret} label={label} />
      </Group>
    </Stack>
  );
}
