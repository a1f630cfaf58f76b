import {
  ActionIcon,
  Anchor,
  Box,
  Button,
  Card,
  Divider,
  Group,
  Menu,
  Select,
  SimpleGrid,
  Skeleton,
  Stack,
  Switch,
  Text,
  TextInput,
} from '@mantine/core';
import {
  IconArrowLeft,
  IconChartDots,
  IconCopy,
  IconDots,
  IconDownload,
  IconSend,
} from '@tabler/icons-react';
import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { isApiError } from '../api/client';
import { GRANULARITIES, type Metric, RANGE_PRESETS, type SeriesResponse } from '../api/types';
import { formatPeriod } from '../components/charts/bucket-labels';
import { sideNames } from '../components/charts/metric-chart-options';
import { MetricCharts } from '../components/charts/metric-charts';
import { EmptyState } from '../components/empty-state';
import { ErrorAlert } from '../components/error-alert';
import { BreakdownCard } from '../components/metrics/breakdown-card';
import { ChangeText } from '../components/metrics/change-text';
import { DeleteMetricDialog } from '../components/metrics/delete-metric-dialog';
import { FilterBar } from '../components/metrics/filter-bar';
import { MetricFormModal } from '../components/metrics/metric-form-modal';
import { unitLabel } from '../components/metrics/metric-labels';
import { MetricMenuItems } from '../components/metrics/metric-menu-items';
import { MetricTypeBadge } from '../components/metrics/metric-type-badge';
import { PushEventModal } from '../components/metrics/push-event-modal';
import { eventUrl } from '../components/metrics/snippets';
import { PageHeader } from '../components/page-header';
import { useCurrentProject } from '../layout/project-layout';
import { copyText } from '../lib/clipboard';
import { formatRelative, plural } from '../lib/format';
import {
  addDays,
  browserTimeZone,
  fitGranularity,
  GRANULARITY_LABELS,
  granularityProblem,
  localDate,
  type MetricView,
  parseMetricView,
  RANGE_LABELS,
  rangeDays,
  serializeMetricView,
  seriesParams,
  timeZones,
  windowParams,
} from '../lib/metric-view';
import { notifyError, notifySuccess } from '../lib/notify';
import { can } from '../lib/permissions';
import { formatAmount } from '../lib/units';
import { useMetric } from '../queries/metrics';
import { exportUrls, useMetricFilters, useSeries } from '../queries/series';

const RANGE_OPTIONS = [...RANGE_PRESETS, 'custom' as const].map((value) => ({
  value,
  label: RANGE_LABELS[value],
}));
/** Every granularity, those the range cannot take disabled with the reason. */
function granularityOptions(days: number) {
  return (['auto', ...GRANULARITIES] as const).map((value) => {
    const problem = value === 'auto' ? null : granularityProblem(value, days);
    return {
      value,
      label: GRANULARITY_LABELS[value],
      disabled: problem !== null,
      ...(problem !== null ? { problem } : {}),
    };
  });
}

function Headline({ series, metric }: { series: SeriesResponse; metric: Metric }) {
  const { summary, tz } = series;
  const unit = metric.unit;
  const sides = sideNames(series.metric);
  return (
    <Group gap="xl" wrap="wrap" align="flex-end" style={{ rowGap: 'var(--mantine-spacing-sm)' }}>
      <div>
        <Text size="xs" c="dimmed" tt="uppercase" fw={600} lts={0.4}>
          {metric.type === 'average' ? 'Average' : metric.type === 'dual' ? 'Net' : 'Total'} ·{' '}
          {formatPeriod(series.from, series.to, tz)}
        </Text>
        <Text fz={{ base: 28, sm: 34 }} fw={700} lh={1.15} style={{ overflowWrap: 'anywhere' }}>
          {formatAmount(summary.value, unit)}
        </Text>
      </div>
      <div>
        <ChangeText change={summary.change} size="md" />
        <Text size="xs" c="dimmed">
          vs {formatAmount(summary.previous.value, unit)} ·{' '}
          {formatPeriod(summary.previous.from, summary.previous.to, tz)}
        </Text>
      </div>
      {metric.type === 'dual' && (
        <div>
          <Text size="sm">
            <Text span c="var(--mantine-color-teal-light-color)" fw={600}>
              +{formatAmount(summary.total.positive ?? 0, unit)}
            </Text>{' '}
            {sides.positive}
          </Text>
          <Text size="sm">
            <Text span c="var(--mantine-color-red-light-color)" fw={600}>
              −{formatAmount(summary.total.negative ?? 0, unit)}
            </Text>{' '}
            {sides.negative}
          </Text>
        </div>
      )}
      <div>
        <Text size="sm" fw={500}>
          {plural(summary.total.count, 'event')}
        </Text>
        <Text size="xs" c="dimmed">
          {formatAmount(metric.type === 'average' ? metric.average : metric.total, unit)}{' '}
          {metric.type === 'average' ? 'average' : 'total'} all time
        </Text>
      </div>
    </Group>
  );
}

/** One metric: headline, charts over a window, filters, breakdown, export and a test push. */
export function MetricPage() {
  const project = useCurrentProject();
  const { metricId = '' } = useParams();
  const navigate = useNavigate();
  const [defaultTz] = useState(browserTimeZone);
  const [search, setSearch] = useSearchParams();
  const asked = useMemo(() => parseMetricView(search, defaultTz), [search, defaultTz]);
  const view = useMemo(() => fitGranularity(asked), [asked]);
  const setView = (change: Partial<MetricView>) =>
    setSearch(serializeMetricView(fitGranularity({ ...view, ...change }), defaultTz), {
      replace: true,
    });
  // A link or bookmark may name a granularity its range cannot take: show the one used instead.
  useEffect(() => {
    if (asked.granularity !== view.granularity) {
      setSearch(serializeMetricView(view, defaultTz), { replace: true });
    }
  }, [asked, view, defaultTz, setSearch]);
  const granularities = useMemo(
    () => granularityOptions(rangeDays(view, localDate(view.tz))),
    [view],
  );

  const metric = useMetric(project.id, metricId);
  const params = useMemo(() => seriesParams(view), [view]);
  const windowQuery = useMemo(() => windowParams(view), [view]);
  const series = useSeries(project.id, metricId, params);
  const filters = useMetricFilters(project.id, metricId);
  const zones = useMemo(timeZones, []);
  const [tzSearch, setTzSearch] = useState(view.tz);
  const [by, setBy] = useState<string | null>(null);
  const [pushing, setPushing] = useState(false);
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const canManage = can(project.role, 'metrics.manage');
  const urls = exportUrls(project.id, metricId, params);

  if (isApiError(metric.error, 'METRIC_NOT_FOUND')) {
    return (
      <EmptyState
        icon={<IconChartDots size={28} stroke={1.5} />}
        title="Metric not found"
        description="It was deleted, or the link is wrong."
        action={
          <Button
            component={Link}
            to={`/projects/${project.id}/metrics`}
            leftSection={<IconArrowLeft size={16} />}
          >
            All metrics
          </Button>
        }
      />
    );
  }
  if (metric.data === undefined) {
    return metric.error !== null ? (
      <ErrorAlert
        error={metric.error}
        title="Could not load the metric"
        onRetry={() => void metric.refetch()}
      />
    ) : (
      <Stack gap="md">
        <Skeleton height={40} maw={320} />
        <Skeleton height={140} radius="md" />
        <Skeleton height={340} radius="md" />
      </Stack>
    );
  }
  const m = metric.data;
  const today = localDate(view.tz);
  // Asking again cannot help a window the server refuses as it stands.
  const refused =
    isApiError(series.error, 'TOO_MANY_BUCKETS') || isApiError(series.error, 'RANGE_TOO_LONG');

  const copyId = async () => {
    if (await copyText(m.id)) notifySuccess('Metric id copied');
    else notifyError(new Error('The browser refused to copy. Select the id and copy it.'));
  };

  return (
    <>
      <PageHeader
        above={
          <Anchor component={Link} to={`/projects/${project.id}/metrics`} size="sm" c="dimmed">
            <Group gap={4} component="span" wrap="nowrap">
              <IconArrowLeft size={14} /> Metrics
            </Group>
          </Anchor>
        }
        title={
          <Group gap="sm" component="span" wrap="wrap" align="center">
            <span>{m.name}</span>
            <MetricTypeBadge type={m.type} size="md" />
          </Group>
        }
        documentTitle={`${m.name} · ${project.name}`}
        description={
          <>
            {unitLabel(m.unit)} · {plural(m.eventCount, 'event')} · last{' '}
            {formatRelative(m.lastEventAt)}
          </>
        }
        actions={
          <>
            <Button leftSection={<IconSend size={16} />} onClick={() => setPushing(true)}>
              Push a value
            </Button>
            <Menu position="bottom-end" withinPortal>
              <Menu.Target>
                <Button variant="default" leftSection={<IconDownload size={16} />}>
                  Export
                </Button>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>CSV, with this range and filters</Menu.Label>
                <Menu.Item component="a" href={urls.seriesCsv} download>
                  Chart buckets (series.csv)
                </Menu.Item>
                <Menu.Item component="a" href={urls.eventsCsv} download>
                  Raw events
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
            <Menu position="bottom-end" withinPortal>
              <Menu.Target>
                <ActionIcon variant="default" size="lg" aria-label="More actions">
                  <IconDots size={18} />
                </ActionIcon>
              </Menu.Target>
              <Menu.Dropdown>
                <MetricMenuItems
                  canManage={canManage}
                  onCopyId={() => void copyId()}
                  onEdit={() => setEditing(true)}
                  onDelete={() => setDeleting(true)}
                />
              </Menu.Dropdown>
            </Menu>
          </>
        }
      />

      <Stack gap="lg">
        <Card p={0}>
          <Box p={{ base: 'md', sm: 'lg' }}>
            {series.data !== undefined ? (
              <Headline series={series.data} metric={m} />
            ) : series.error !== null ? (
              <Text size="sm" c="dimmed">
                No figures for this selection.
              </Text>
            ) : (
              <Skeleton height={58} maw={420} />
            )}
          </Box>
          <Divider />
          <Stack gap="md" p={{ base: 'md', sm: 'lg' }}>
            <Group gap="sm" wrap="wrap" align="flex-end">
              <Select
                label="Range"
                data={RANGE_OPTIONS}
                value={view.range}
                allowDeselect={false}
                onChange={(value) => {
                  if (value === 'custom') {
                    setView({ range: 'custom', from: addDays(today, -29), to: today });
                  } else if (value !== null) {
                    setView({ range: value as MetricView['range'] });
                  }
                }}
                w={{ base: '100%', xs: 170 }}
              />
              {view.range === 'custom' && (
                <>
                  <TextInput
                    type="date"
                    label="From"
                    value={view.from}
                    max={view.to}
                    onChange={(e) => {
                      const from = e.currentTarget.value;
                      if (from !== '') setView(from > view.to ? { from, to: from } : { from });
                    }}
                    w={{ base: 'calc(50% - 6px)', xs: 160 }}
                  />
                  <TextInput
                    type="date"
                    label="To"
                    value={view.to}
                    min={view.from}
                    onChange={(e) => {
                      const to = e.currentTarget.value;
                      if (to !== '') setView(to < view.from ? { to, from: to } : { to });
                    }}
                    w={{ base: 'calc(50% - 6px)', xs: 160 }}
                  />
                </>
              )}
              <Select
                label="Granularity"
                data={granularities}
                value={view.granularity}
                allowDeselect={false}
                comboboxProps={{ width: 240, position: 'bottom-start' }}
                renderOption={({ option }) => {
                  const problem = granularities.find((g) => g.value === option.value)?.problem;
                  return problem === undefined ? (
                    option.label
                  ) : (
                    <div>
                      <div>{option.label}</div>
                      <Text size="xs" c="dimmed">
                        {problem}
                      </Text>
                    </div>
                  );
                }}
                onChange={(value) =>
                  value !== null && setView({ granularity: value as MetricView['granularity'] })
                }
                w={{ base: 'calc(50% - 6px)', xs: 140 }}
              />
              <Select
                label="Time zone"
                data={zones}
                value={view.tz}
                searchable
                // Typing searches every zone, rather than appending to the current one's name.
                searchValue={tzSearch}
                onSearchChange={setTzSearch}
                onFocus={() => setTzSearch('')}
                placeholder={view.tz}
                allowDeselect={false}
                limit={60}
                onChange={(value) => value !== null && setView({ tz: value })}
                w={{ base: 'calc(50% - 6px)', xs: 210 }}
              />
              <Switch
                label="Compare with previous period"
                checked={view.previous}
                onChange={(e) => setView({ previous: e.currentTarget.checked })}
                mb={8}
              />
            </Group>
            <FilterBar
              keys={filters.data ?? []}
              value={view.filters}
              onChange={(next) => setView({ filters: next })}
            />
          </Stack>
        </Card>

        {series.error !== null ? (
          <ErrorAlert
            error={series.error}
            title="Could not load the chart"
            {...(refused ? {} : { onRetry: () => void series.refetch() })}
          />
        ) : series.data === undefined ? (
          <Skeleton height={360} radius="md" />
        ) : (
          <MetricCharts series={series.data} stale={series.isPlaceholderData} />
        )}

        <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
          <BreakdownCard
            projectId={project.id}
            metric={m}
            keys={(filters.data ?? []).map((k) => k.key)}
            by={by}
            onByChange={setBy}
            params={windowQuery}
          />
          <Card p={{ base: 'md', sm: 'lg' }}>
            <Stack gap="xs">
              <Text fw={600}>Metric id</Text>
              <Text size="sm" c="dimmed">
                Post events to <code>{eventUrl('', m.name)}</code> or to its id, which never changes
                when the metric is renamed:
              </Text>
              <Group gap="xs" wrap="nowrap">
                <Text ff="monospace" size="sm" style={{ overflowWrap: 'anywhere' }}>
                  {m.id}
                </Text>
                <ActionIcon
                  variant="subtle"
                  color="gray"
                  aria-label="Copy metric id"
                  onClick={() => void copyId()}
                >
                  <IconCopy size={16} />
                </ActionIcon>
              </Group>
            </Stack>
          </Card>
        </SimpleGrid>
      </Stack>

      <PushEventModal
        projectId={project.id}
        metric={m}
        opened={pushing}
        onClose={() => setPushing(false)}
        canCreateKey={can(project.role, 'keys.manage')}
      />
      {canManage && (
        <>
          <MetricFormModal
            projectId={project.id}
            metric={m}
            opened={editing}
            onClose={() => setEditing(false)}
          />
          <DeleteMetricDialog
            projectId={project.id}
            metric={deleting ? m : undefined}
            onClose={() => setDeleting(false)}
            onDeleted={() => void navigate(`/projects/${project.id}/metrics`, { replace: true })}
          />
        </>
      )}
    </>
  );
}
