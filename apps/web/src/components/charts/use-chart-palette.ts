import { useComputedColorScheme, useMantineTheme } from '@mantine/core';
import { useMemo } from 'react';
import type { ChartPalette } from './metric-chart-options';

/** Chart colors from the Mantine theme, for the current color scheme. */
export function useChartPalette(): ChartPalette {
  const theme = useMantineTheme();
  const dark = useComputedColorScheme('light') === 'dark';
  return useMemo(() => {
    const shade = dark ? 5 : 6;
    const c = theme.colors;
    return {
      primary: c.indigo[shade],
      positive: c.teal[shade],
      negative: c.red[dark ? 6 : 5],
      net: dark ? c.gray[2] : c.dark[6],
      previous: dark ? c.dark[2] : c.gray[5],
      muted: dark ? c.dark[2] : c.gray[6],
    };
  }, [theme, dark]);
}
