import { Card, Group, Stack, Text, Title } from '@mantine/core';
import { IconChartBar } from '@tabler/icons-react';
import { type ReactNode, useMemo } from 'react';
import type { SeriesResponse } from '../../api/types';
import { Chart } from '../chart/chart';
import { EmptyState } from '../empty-state';
import { eventsChartOption, hasEvents, trendChartOption } from './metric-chart-options';
import { useChartPalette } from './use-chart-palette';

const HEIGHT = 300;

function ChartCard({
  title,
  description,
  children,
  dimmed,
}: {
  title: string;
  description: string;
  children: ReactNode;
  dimmed: boolean;
}) {
  return (
    <Card p={{ base: 'md', sm: 'lg' }}>
      <Stack gap="sm">
        <Group justify="space-between" align="baseline" gap="xs">
          <Title order={2} fz="md">
            {title}
          </Title>
          <Text size="xs" c="dimmed">
            {description}
          </Text>
        </Group>
        <div style={{ opacity: dimmed ? 0.55 : 1, transition: 'opacity 150ms' }}>{children}</div>
      </Stack>
    </Card>
  );
}

function NoEvents() {
  return (
    <div style={{ height: HEIGHT, display: 'grid', placeItems: 'center' }}>
      <EmptyState
        framed={false}
        icon={<IconChartBar size={24} stroke={1.5} />}
        title="No events in this range"
        description="Pick a longer range, remove a filter, or push a value."
      />
    </div>
  );
}

export interface MetricChartsProps {
  series: SeriesResponse;
  /** The data shown is the previous window's while the new one loads. */
  stale: boolean;
}

const PER = { minute: 'minute', hour: 'hour', day: 'day', week: 'week', month: 'month' } as const;

/** The events chart (per bucket) and the trend chart (running total) of a series. */
export function MetricCharts({ series, stale }: MetricChartsProps) {
  const palette = useChartPalette();
  const events = useMemo(() => eventsChartOption(series, palette), [series, palette]);
  const trend = useMemo(() => trendChartOption(series, palette), [series, palette]);
  const empty = !hasEvents(series);
  const type = series.metric.type;
  return (
    <>
      <ChartCard
        title={type === 'average' ? 'Average' : 'Events'}
        description={`Per ${PER[series.granularity]} · ${series.tz}`}
        dimmed={stale}
      >
        {empty ? (
          <NoEvents />
        ) : (
          <Chart
            option={events}
            height={HEIGHT}
            label={`${series.metric.name} per ${series.granularity}`}
          />
        )}
      </ChartCard>
      <ChartCard
        title="Trend"
        description={
          type === 'average'
            ? 'Running average since the first event'
            : 'Running total since the first event'
        }
        dimmed={stale}
      >
        {empty && series.summary.before.count === 0 ? (
          <NoEvents />
        ) : (
          <Chart option={trend} height={HEIGHT} label={`${series.metric.name}, running total`} />
        )}
      </ChartCard>
    </>
  );
}
