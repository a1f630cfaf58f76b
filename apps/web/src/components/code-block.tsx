import { Box, Code, Group, Text } from '@mantine/core';
import { CopyButton } from './copy-button';

export interface CodeBlockProps {
  code: string;
  /** What it is, shown above it: "Terminal". */
  title?: string;
  /** For the copy button: "command". */
  label?: string;
  /** Wraps long lines instead of scrolling them: for a one-line snippet such as a tag. */
  wrap?: boolean;
}

/** A snippet to paste, with a copy button above it; scrolls sideways or wraps, never overflows. */
export function CodeBlock({
  code,
  title = 'Terminal',
  label = 'snippet',
  wrap = false,
}: CodeBlockProps) {
  return (
    <Box
      style={{
        border: '1px solid var(--mantine-color-default-border)',
        borderRadius: 'var(--mantine-radius-md)',
        overflow: 'hidden',
      }}
    >
      <Group
        justify="space-between"
        pl="sm"
        pr={4}
        py={2}
        style={{ borderBottom: '1px solid var(--mantine-color-default-border)' }}
      >
        <Text size="xs" c="dimmed" fw={500}>
          {title}
        </Text>
        <CopyButton value={code} label={label} />
      </Group>
      {/* Focusable, so that a keyboard can scroll a long line sideways. */}
      <Code
        block
        fz="xs"
        tabIndex={0}
        aria-label={title}
        style={{
          overflowX: 'auto',
          whiteSpace: wrap ? 'pre-wrap' : 'pre',
          overflowWrap: wrap ? 'anywhere' : 'normal',
          borderRadius: 0,
        }}
      >
        {code}
      </Code>
    </Box>
  );
}
