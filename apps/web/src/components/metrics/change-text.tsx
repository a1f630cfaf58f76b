import { Group, Text, type TextProps } from '@mantine/core';
import { IconArrowDownRight, IconArrowUpRight } from '@tabler/icons-react';
import { formatPercentChange } from '../../lib/format';

/** A change in percent, green when up, red when down, dimmed when there is none to tell. */
export function ChangeText({ change, ...props }: { change: number | null } & TextProps) {
  if (change === null || !Number.isFinite(change) || change === 0) {
    return (
      <Text span c="dimmed" {...props}>
        {change === 0 ? '0%' : '—'}
      </Text>
    );
  }
  const up = change > 0;
  const Icon = up ? IconArrowUpRight : IconArrowDownRight;
  return (
    <Group
      component="span"
      gap={2}
      wrap="nowrap"
      display="inline-flex"
      c={up ? 'var(--mantine-color-teal-light-color)' : 'var(--mantine-color-red-light-color)'}
    >
      <Icon size={14} stroke={2} aria-hidden />
      <Text span fw={500} c="inherit" {...props}>
        {formatPercentChange(change)}
      </Text>
    </Group>
  );
}
