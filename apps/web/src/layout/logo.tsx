import { Group, Text } from '@mantine/core';
import { Link } from 'react-router';

/** The Measurely mark: a rising line in a rounded square, as in the favicon. */
export function LogoMark({ size = 28 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="8" fill="var(--mantine-primary-color-filled)" />
      <path
        d="M7 22.5 12.5 14l4.5 5 4-8 4 11.5"
        fill="none"
        stroke="#fff"
        strokeWidth="2.6"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}

/** The mark and the name, linking home. `compact` hides the name on phones. */
export function Logo({ compact = false }: { compact?: boolean }) {
  return (
    <Link
      to="/"
      aria-label="Measurely, home"
      style={{ textDecoration: 'none', color: 'inherit', flexShrink: 0 }}
    >
      <Group gap={10} wrap="nowrap">
        <LogoMark />
        <Text fw={700} fz="lg" lts={-0.3} visibleFrom={compact ? 'sm' : undefined}>
          Measurely
        </Text>
      </Group>
    </Link>
  );
}
