import { Anchor, Card, Group, Stack, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { OverviewMetric } from '../../api/types';
import { formatRelative } from '../../lib/format';
import { formatAmount } from '../../lib/units';
import { Sparkline } from '../charts/sparkline';
import { ChangeText } from './change-text';
import { MetricTypeBadge } from './metric-type-badge';
import { allTimeValue, periodValue } from './sort-metrics';

/** The metrics list on a phone: one card per metric, the whole card a link. */
export function MetricCards({
  projectId,
  metrics,
}: {
  projectId: string;
  metrics: OverviewMetric[];
}) {
  return (
    <Stack gap="sm">
      {metrics.map((metric) => (
        <Card
          key={metric.id}
          component={Link}
          to={`/projects/${projectId}/metrics/${metric.id}`}
          p="md"
          style={{ color: 'inherit', textDecoration: 'none' }}
        >
          <Group justify="space-between" gap="sm" wrap="nowrap" align="flex-start">
            <Stack gap={4} miw={0}>
              <Group gap="xs" wrap="nowrap" miw={0}>
                <Anchor component="span" fw={600} fz="sm" truncate>
                  {metric.name}
                </Anchor>
                <MetricTypeBadge type={metric.type} size="xs" style={{ flexShrink: 0 }} />
              </Group>
              <Text fw={700} fz="lg" lh={1.2}>
                {formatAmount(allTimeValue(metric), metric.unit)}
                {metric.type === 'average' && (
                  <Text span size="xs" c="dimmed" fw={400}>
                    {' '}
                    avg
                  </Text>
                )}
              </Text>
              <Group gap={6} wrap="wrap">
                <Text size="xs" c="dimmed">
                  Today {formatAmount(periodValue(metric.type, metric.today), metric.unit)}
                </Text>
                <ChangeText change={metric.change} size="xs" />
              </Group>
              <Text size="xs" c="dimmed">
                Last event {formatRelative(metric.lastEventAt)}
              </Text>
            </Stack>
            {metric.eventCount > 0 && (
              <Sparkline
                values={metric.sparkline.map((p) => p.value)}
                label={`${metric.name}, last 15 days`}
                width={96}
                height={40}
              />
            )}
          </Group>
        </Card>
      ))}
    </Stack>
  );
}
