import type { Bucket, MetricBrief, SeriesResponse } from '../../api/types';
import { formatNumber } from '../../lib/format';
import { formatAmount } from '../../lib/units';
import type { ChartOption } from '../chart/chart';
import { axisLabel, fullLabel } from './bucket-labels';

/** Colors a chart draws with, picked by the caller for the light or dark theme. */
export interface ChartPalette {
  primary: string;
  positive: string;
  negative: string;
  net: string;
  previous: string;
  /** Text of the tooltip's secondary lines. */
  muted: string;
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** What a chart headline shows for a bucket: the sum (basic), the net (dual), the mean. */
export function headline(metric: Pick<MetricBrief, 'type'>, bucket: Bucket): number | null {
  if (metric.type === 'dual') return bucket.net ?? 0;
  if (metric.type === 'average') return bucket.mean ?? null;
  return bucket.sum ?? 0;
}

/** Whether any event falls in the window. */
export function hasEvents(series: SeriesResponse): boolean {
  return series.buckets.some((b) => b.count > 0);
}

export function sideNames(metric: MetricBrief): { positive: string; negative: string } {
  return {
    positive: metric.positiveName ?? 'Positive',
    negative: metric.negativeName ?? 'Negative',
  };
}

function spansSeveralDays(series: SeriesResponse): boolean {
  return new Date(series.to).getTime() - new Date(series.from).getTime() > 26 * 3600_000;
}

function categories(series: SeriesResponse): string[] {
  const several = spansSeveralDays(series);
  return series.buckets.map((b) => axisLabel(b.start, series.granularity, series.tz, several));
}

function row(marker: string, name: string, value: string): string {
  return `<div style="display:flex;gap:16px;justify-content:space-between;align-items:center"><span>${marker}${escapeHtml(name)}</span><b style="font-variant-numeric:tabular-nums">${escapeHtml(value)}</b></div>`;
}

function dot(color: string, dashed = false): string {
  return `<span style="display:inline-block;margin-right:6px;width:8px;height:8px;border-radius:${dashed ? 1 : 4}px;background:${color}"></span>`;
}

function firstIndex(params: unknown): number | undefined {
  const first = Array.isArray(params) ? params[0] : params;
  const index = (first as { dataIndex?: unknown } | undefined)?.dataIndex;
  return typeof index === 'number' ? index : undefined;
}

/** A line's value, or a value with its own symbol. */
export type LinePoint = number | null | { value: number; symbol: string; symbolSize: number };

/**
 * A line's data where a value with no other one to join (a single bucket, or one non-empty
 * bucket) gets a symbol of its own: a line through one point draws nothing.
 */
export function withLonePoint(values: Array<number | null>): { data: LinePoint[]; lone: boolean } {
  const present = values.filter((v) => v !== null);
  const [only] = present;
  if (present.length !== 1 || only === undefined) return { data: values, lone: false };
  return {
    data: values.map((v) => (v === null ? null : { value: v, symbol: 'circle', symbolSize: 12 })),
    lone: true,
  };
}

function baseOption(series: SeriesResponse, palette: ChartPalette, legend: boolean): ChartOption {
  const unit = series.metric.unit;
  const whole =
    series.metric.type === 'basic' && series.buckets.every((b) => Number.isInteger(b.sum ?? 0));
  return {
    grid: { left: 8, right: 12, top: legend ? 36 : 12, bottom: 4, containLabel: true },
    legend: legend ? { top: 0, left: 0, icon: 'roundRect', itemWidth: 12, itemHeight: 8 } : [],
    xAxis: {
      type: 'category',
      data: categories(series),
      axisTick: { alignWithLabel: true },
      axisLabel: { hideOverlap: true },
    },
    yAxis: {
      type: 'value',
      splitNumber: 4,
      ...(whole ? { minInterval: 1 } : {}),
      axisLabel: {
        formatter: (value: number) =>
          formatAmount(value, unit, { compact: true, maxDecimals: Math.abs(value) < 10 ? 2 : 1 }),
      },
    },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      confine: true,
    },
    color: [palette.primary],
  };
}

/**
 * The events chart: bars per bucket (basic), both sides stacked around zero with the net as a
 * line (dual), or the mean as a line (average); with `previous`, the previous period as a faint
 * dashed line, bucket by bucket.
 */
export function eventsChartOption(
  series: SeriesResponse,
  palette: ChartPalette,
  now: number = Date.now(),
): ChartOption {
  const { metric, buckets } = series;
  const future = buckets.map((b) => Date.parse(b.start) > now);
  const unit = metric.unit;
  const previous = series.previousBuckets ?? [];
  const showPrevious = previous.length > 0;
  const sides = sideNames(metric);
  const value = (v: number | null | undefined) => formatAmount(v ?? null, unit);
  const previousSeries = showPrevious
    ? [
        {
          type: 'line' as const,
          name: 'Previous period',
          data: buckets.map((_, i) => {
            const bucket = previous[i];
            return bucket === undefined ? null : headline(metric, bucket);
          }),
          symbol: 'none',
          connectNulls: metric.type === 'average',
          lineStyle: { type: 'dashed' as const, width: 1.5, color: palette.previous },
          itemStyle: { color: palette.previous },
          z: 1,
        },
      ]
    : [];

  const formatter = (params: unknown) => {
    const i = firstIndex(params);
    const bucket = i === undefined ? undefined : buckets[i];
    if (i === undefined || bucket === undefined) return '';
    const lines = [
      `<div style="margin-bottom:4px;font-weight:600">${escapeHtml(fullLabel(bucket.start, series.granularity, series.tz))}</div>`,
    ];
    if (metric.type === 'dual') {
      lines.push(row(dot(palette.positive), sides.positive, value(bucket.positive)));
      lines.push(row(dot(palette.negative), sides.negative, value(bucket.negative)));
      lines.push(row(dot(palette.net), 'Net', value(bucket.net)));
    } else if (metric.type === 'average') {
      lines.push(row(dot(palette.primary), 'Average', value(bucket.mean)));
    } else {
      lines.push(row(dot(palette.primary), 'Total', value(bucket.sum)));
    }
    lines.push(row(dot('transparent'), 'Events', formatNumber(bucket.count)));
    const before = previous[i];
    if (before !== undefined) {
      lines.push(
        `<div style="margin-top:4px;color:${palette.muted}">${row(
          dot(palette.previous, true),
          `Previous · ${fullLabel(before.start, series.granularity, series.tz)}`,
          value(headline(metric, before)),
        )}</div>`,
      );
    }
    return lines.join('');
  };

  const option = baseOption(series, palette, metric.type === 'dual' || showPrevious);
  option.tooltip = { ...option.tooltip, formatter };

  if (metric.type === 'dual') {
    return {
      ...option,
      series: [
        {
          type: 'bar',
          name: sides.positive,
          stack: 'sides',
          data: buckets.map((b) => b.positive ?? 0),
          itemStyle: { color: palette.positive, borderRadius: [3, 3, 0, 0] },
          barMaxWidth: 32,
        },
        {
          type: 'bar',
          name: sides.negative,
          stack: 'sides',
          data: buckets.map((b) => -(b.negative ?? 0)),
          itemStyle: { color: palette.negative, borderRadius: [0, 0, 3, 3] },
          barMaxWidth: 32,
        },
        {
          type: 'line',
          name: 'Net',
          data: buckets.map((b, i) => (future[i] ? null : (b.net ?? 0))),
          symbol: 'circle',
          symbolSize: 5,
          showSymbol: buckets.length <= 40,
          itemStyle: { color: palette.net },
          lineStyle: { width: 2, color: palette.net },
          z: 3,
        },
        ...previousSeries,
      ],
    };
  }
  if (metric.type === 'average') {
    const means = withLonePoint(buckets.map((b) => b.mean ?? null));
    return {
      ...option,
      tooltip: { ...option.tooltip, axisPointer: { type: 'line' } },
      series: [
        {
          type: 'line',
          name: 'Average',
          data: means.data,
          connectNulls: true,
          symbol: 'circle',
          symbolSize: 5,
          showSymbol: means.lone || buckets.length <= 40,
          // Otherwise a long axis draws only the symbols that fall on a label.
          showAllSymbol: true,
          lineStyle: { width: 2 },
          areaStyle: { opacity: 0.08 },
          z: 2,
        },
        ...previousSeries,
      ],
    };
  }
  return {
    ...option,
    series: [
      {
        type: 'bar',
        name: 'Total',
        data: buckets.map((b) => b.sum ?? 0),
        itemStyle: { borderRadius: [3, 3, 0, 0] },
        barMaxWidth: 32,
        z: 2,
      },
      ...previousSeries,
    ],
  };
}

/** The trend chart: the running total (the running mean for an average metric). */
export function trendChartOption(
  series: SeriesResponse,
  palette: ChartPalette,
  now: number = Date.now(),
): ChartOption {
  const { metric, buckets } = series;
  const name = metric.type === 'average' ? 'Running average' : 'Running total';
  const option = baseOption(series, palette, false);
  // The running total stops at now rather than running flat into the hours to come.
  const running = withLonePoint(
    buckets.map((b) => (Date.parse(b.start) > now ? null : b.cumulative)),
  );
  return {
    ...option,
    yAxis: { ...option.yAxis, scale: true },
    tooltip: {
      ...option.tooltip,
      axisPointer: { type: 'line' },
      formatter: (params: unknown) => {
        const i = firstIndex(params);
        const bucket = i === undefined ? undefined : buckets[i];
        if (bucket === undefined || Date.parse(bucket.start) > now) return '';
        return `<div style="margin-bottom:4px;font-weight:600">${escapeHtml(
          fullLabel(bucket.start, series.granularity, series.tz),
        )}</div>${row(dot(palette.primary), name, formatAmount(bucket.cumulative, metric.unit))}`;
      },
    },
    series: [
      {
        type: 'line',
        name,
        data: running.data,
        connectNulls: true,
        symbol: 'none',
        showAllSymbol: true,
        lineStyle: { width: 2 },
        areaStyle: { opacity: 0.12 },
      },
    ],
  };
}

/** A sparkline: a bare line with a faint area, no axes, no tooltip. */
export function sparklineOption(
  values: Array<number | null>,
  color: string,
  animate = false,
): ChartOption {
  return {
    animation: animate,
    grid: { left: 1, right: 1, top: 3, bottom: 1 },
    xAxis: { type: 'category', show: false, boundaryGap: false },
    yAxis: { type: 'value', show: false, scale: true },
    tooltip: { show: false },
    series: [
      {
        type: 'line',
        data: values,
        symbol: 'none',
        connectNulls: true,
        silent: true,
        lineStyle: { width: 1.5, color },
        areaStyle: { color, opacity: 0.12 },
      },
    ],
  };
}
