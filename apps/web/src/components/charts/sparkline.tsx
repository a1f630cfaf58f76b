import { useMemo } from 'react';
import { Chart } from '../chart/chart';
import { sparklineOption } from './metric-chart-options';
import { useChartPalette } from './use-chart-palette';

export interface SparklineProps {
  values: Array<number | null>;
  label: string;
  width?: number;
  height?: number;
}

/** A tiny line of recent values (the overview's last 15 days). */
export function Sparkline({ values, label, width = 120, height = 32 }: SparklineProps) {
  const palette = useChartPalette();
  const key = values.join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: redraw only when the numbers change
  const option = useMemo(() => sparklineOption(values, palette.primary), [key, palette.primary]);
  return (
    <div style={{ width, height }}>
      <Chart option={option} height={height} label={label} />
    </div>
  );
}
