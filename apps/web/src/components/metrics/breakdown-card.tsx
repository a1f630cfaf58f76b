import { Box, Card, Group, Progress, Select, Skeleton, Stack, Text, Title } from '@mantine/core';
import type { Amounts, MetricBrief, Unit } from '../../api/types';
import { formatNumber, plural } from '../../lib/format';
import { formatAmount } from '../../lib/units';
import { useBreakdown } from '../../queries/series';
import { ErrorAlert } from '../error-alert';
import { periodValue } from './sort-metrics';

export interface BreakdownCardProps {
  projectId: string;
  metric: MetricBrief;
  /** Filter keys the metric has seen. */
  keys: string[];
  by: string | null;
  onByChange: (by: string | null) => void;
  /** Window and filter parameters (windowParams). */
  params: Record<string, string>;
}

function detail(type: MetricBrief['type'], amounts: Amounts, unit: Unit | null): string {
  if (type === 'dual') {
    return `+${formatAmount(amounts.positive ?? 0, unit)} / −${formatAmount(amounts.negative ?? 0, unit)}`;
  }
  // Counting events (every value 1) needs no second figure.
  if (type === 'basic' && amounts.sum === amounts.count) return '';
  return plural(amounts.count, 'event');
}

function Row({
  label,
  amounts,
  share,
  metric,
  muted,
}: {
  label: string;
  amounts: Amounts;
  share: number | null;
  metric: MetricBrief;
  muted?: boolean;
}) {
  return (
    <Box>
      <Group justify="space-between" gap="sm" wrap="nowrap" mb={4}>
        <Text
          size="sm"
          fw={muted ? 400 : 500}
          c={muted ? 'dimmed' : undefined}
          truncate
          fs={muted ? 'italic' : undefined}
        >
          {label}
        </Text>
        <Group gap="sm" wrap="nowrap" style={{ flexShrink: 0 }}>
          <Text size="xs" c="dimmed" visibleFrom="xs">
            {detail(metric.type, amounts, metric.unit)}
          </Text>
          <Text size="sm" fw={600}>
            {formatAmount(periodValue(metric.type, amounts), metric.unit)}
          </Text>
          <Text size="xs" c="dimmed" w={44} ta="right">
            {share === null ? '—' : `${formatNumber(share, { maxDecimals: share < 10 ? 1 : 0 })}%`}
          </Text>
        </Group>
      </Group>
      <Progress value={share ?? 0} size="sm" color={muted ? 'gray' : 'indigo'} aria-hidden />
    </Box>
  );
}

/** Totals per value of one filter key over the window, largest first, with their share. */
export function BreakdownCard({
  projectId,
  metric,
  keys,
  by,
  onByChange,
  params,
}: BreakdownCardProps) {
  const breakdown = useBreakdown(projectId, metric.id, by, params);
  const data = breakdown.data;
  return (
    <Card p={{ base: 'md', sm: 'lg' }} h="100%">
      <Stack gap="md">
        <Group justify="space-between" gap="sm" wrap="wrap">
          <Title order={2} fz="md">
            Breakdown
          </Title>
          <Select
            aria-label="Break down by"
            placeholder={keys.length === 0 ? 'No filter keys yet' : 'Break down by…'}
            data={keys}
            value={by}
            onChange={onByChange}
            disabled={keys.length === 0}
            size="xs"
            w={180}
          />
        </Group>
        {by === null ? (
          <Text size="sm" c="dimmed">
            {keys.length === 0
              ? 'Events sent with filters (country, plan…) can be broken down here.'
              : 'Pick a filter key to see the share of each of its values.'}
          </Text>
        ) : breakdown.error !== null ? (
          <ErrorAlert error={breakdown.error} onRetry={() => void breakdown.refetch()} />
        ) : data === undefined ? (
          <Stack gap="sm">
            {[0, 1, 2].map((i) => (
              <Skeleton key={i} height={28} />
            ))}
          </Stack>
        ) : data.total.count === 0 ? (
          <Text size="sm" c="dimmed">
            No events in this range.
          </Text>
        ) : (
          <Stack gap="sm" style={{ opacity: breakdown.isPlaceholderData ? 0.6 : 1 }}>
            {data.values.map((v) => (
              <Row key={v.value} label={v.value} amounts={v} share={v.share} metric={metric} />
            ))}
            {data.other !== null && (
              <Row
                label={`Other (${plural(data.other.values, 'value')})`}
                amounts={data.other}
                share={data.other.share}
                metric={metric}
                muted
              />
            )}
            {data.withoutKey.count > 0 && (
              <Row
                label={`Without ${by}`}
                amounts={data.withoutKey}
                share={data.withoutKey.share}
                metric={metric}
                muted
              />
            )}
          </Stack>
        )}
      </Stack>
    </Card>
  );
}
