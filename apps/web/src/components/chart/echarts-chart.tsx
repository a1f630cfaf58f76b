import { useComputedColorScheme, useMantineTheme } from '@mantine/core';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import {
  AriaComponent,
  DatasetComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef, useState } from 'react';
import type { ChartProps } from './chart';
import { chartTheme } from './chart-themes';

// Only what is registered here ends up in the chart chunk. Add a chart or component here (and
// to ChartOption) before using it in an option.
echarts.use([
  LineChart,
  BarChart,
  PieChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  DatasetComponent,
  MarkLineComponent,
  AriaComponent,
  CanvasRenderer,
]);

/** The real chart; load it through `Chart` (chart.tsx), which keeps it out of the first page. */
export default function EChartsChart({ option, height = 280, label, onReady }: ChartProps) {
  const element = useRef<HTMLDivElement>(null);
  const [chart, setChart] = useState<echarts.ECharts | null>(null);
  const theme = useMantineTheme();
  const scheme = useComputedColorScheme('light');
  const ready = useRef(onReady);
  ready.current = onReady;

  // A theme can only be given at init: a new instance per color scheme.
  useEffect(() => {
    const node = element.current;
    if (node === null) return;
    const created = echarts.init(node, chartTheme(theme, scheme), { renderer: 'canvas' });
    setChart(created);
    const observer = new ResizeObserver(() => created.resize());
    observer.observe(node);
    return () => {
      observer.disconnect();
      created.dispose();
      setChart(null);
    };
  }, [theme, scheme]);

  useEffect(() => {
    if (chart === null) return;
    chart.setOption(
      // ECharts writes its own aria-label on the element: make it the chart's label.
      { aria: { enabled: true, label: { description: label } }, animationDuration: 300, ...option },
      {
        notMerge: true,
      },
    );
    ready.current?.(chart);
  }, [chart, option, label]);

  return <div ref={element} role="img" aria-label={label} style={{ width: '100%', height }} />;
}
