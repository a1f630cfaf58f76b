import { Skeleton } from '@mantine/core';
import type { ECharts } from 'echarts/core';
import { lazy, Suspense } from 'react';
import type { ChartOption } from './chart-option';

export type { ChartOption } from './chart-option';

export interface ChartProps {
  /** An ECharts option; memoize it (useMemo), a new object redraws the chart. */
  option: ChartOption;
  /** Pixels or any CSS height (default 280). */
  height?: number | string;
  /** What the chart shows, for screen readers. */
  label: string;
  /** The ECharts instance, once the option is set (for events or dispatchAction). */
  onReady?: (chart: ECharts) => void;
}

// ECharts (~195 KB gzipped with what is registered) loads on the first chart, not with the app.
const EChartsChart = lazy(() => import('./echarts-chart'));

/** A chart drawn by Apache ECharts, loaded when first shown, themed for light and dark. */
export function Chart(props: ChartProps) {
  return (
    <Suspense fallback={<Skeleton height={props.height ?? 280} radius="md" />}>
      <EChartsChart {...props} />
    </Suspense>
  );
}
