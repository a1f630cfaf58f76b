import {
  Button,
  Card,
  Group,
  Select,
  Skeleton,
  Stack,
  Text,
  TextInput,
  useMantineTheme,
} from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconChartLine, IconPlus, IconSearch } from '@tabler/icons-react';
import { type ReactNode, useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import type { Metric } from '../api/types';
import { EmptyState } from '../components/empty-state';
import { ErrorAlert } from '../components/error-alert';
import { DeleteMetricDialog } from '../components/metrics/delete-metric-dialog';
import { MetricCards } from '../components/metrics/metric-cards';
import { MetricFormModal } from '../components/metrics/metric-form-modal';
import { MetricsTable } from '../components/metrics/metrics-table';
import { Onboarding } from '../components/metrics/onboarding';
import {
  filterAndSortMetrics,
  type Sort,
  type SortColumn,
} from '../components/metrics/sort-metrics';
import { PageHeader } from '../components/page-header';
import { useCurrentProject } from '../layout/project-layout';
import { plural } from '../lib/format';
import { browserTimeZone } from '../lib/metric-view';
import { can } from '../lib/permissions';
import { useOverview } from '../queries/metrics';

const SORT_OPTIONS = [
  { value: 'name:asc', label: 'Name, A to Z' },
  { value: 'total:desc', label: 'All time, largest first' },
  { value: 'today:desc', label: 'Today, largest first' },
  { value: 'change:desc', label: 'Change, largest first' },
  { value: 'lastEvent:desc', label: 'Last event, newest first' },
];

/** The project's metrics; until the first event, how to send it. */
export function MetricsPage() {
  const project = useCurrentProject();
  const navigate = useNavigate();
  const [tz] = useState(browserTimeZone);
  const overview = useOverview(project.id, tz);
  const canManage = can(project.role, 'metrics.manage');
  const theme = useMantineTheme();
  const phone = useMediaQuery(`(max-width: ${theme.breakpoints.sm})`) ?? false;
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<Sort>({ column: 'name', descending: false });
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Metric | undefined>(undefined);
  const [deleting, setDeleting] = useState<Metric | undefined>(undefined);

  const metrics = overview.data;
  const shown = useMemo(
    () => filterAndSortMetrics(metrics ?? [], search, sort),
    [metrics, search, sort],
  );
  const waiting =
    metrics !== undefined && metrics.length > 0 && metrics.every((m) => m.eventCount === 0);

  const newMetric = canManage ? (
    <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>
      New metric
    </Button>
  ) : undefined;

  let content: ReactNode;
  if (metrics === undefined) {
    content = overview.error ? (
      <ErrorAlert
        error={overview.error}
        title="Could not load the metrics"
        onRetry={() => void overview.refetch()}
      />
    ) : (
      <Stack gap="sm">
        <Skeleton height={36} maw={320} />
        <Skeleton height={260} radius="md" />
      </Stack>
    );
  } else if (metrics.length === 0) {
    content = (
      <EmptyState
        icon={<IconChartLine size={28} stroke={1.5} />}
        title="No metrics yet"
        description={
          canManage
            ? 'A metric is a number your code sends events to: sign-ups, revenue, response time. Create one, then send its first event.'
            : 'An owner or admin of this project can create the first metric.'
        }
        action={newMetric}
      />
    );
  } else {
    content = (
      <Stack gap="lg">
        {waiting && (
          <Onboarding
            projectId={project.id}
            metrics={metrics}
            canCreateKey={can(project.role, 'keys.manage')}
          />
        )}
        <Stack gap="sm">
          <Group justify="space-between" gap="sm" wrap="wrap">
            <TextInput
              aria-label="Search metrics"
              placeholder="Search metrics"
              leftSection={<IconSearch size={16} />}
              value={search}
              onChange={(event) => setSearch(event.currentTarget.value)}
              w={{ base: '100%', xs: 280 }}
            />
            {phone ? (
              <Select
                aria-label="Sort by"
                data={SORT_OPTIONS}
                value={`${sort.column}:${sort.descending ? 'desc' : 'asc'}`}
                allowDeselect={false}
                onChange={(value) => {
                  const [column, direction] = (value ?? 'name:asc').split(':');
                  setSort({ column: column as SortColumn, descending: direction === 'desc' });
                }}
                w="100%"
              />
            ) : (
              <Text size="sm" c="dimmed">
                {plural(metrics.length, 'metric')} · times in {tz}
              </Text>
            )}
          </Group>
          {shown.length === 0 ? (
            <Card>
              <Text c="dimmed" size="sm" ta="center" py="lg">
                No metric matches “{search.trim()}”.
              </Text>
            </Card>
          ) : phone ? (
            <MetricCards projectId={project.id} metrics={shown} />
          ) : (
            <Card p={0}>
              <MetricsTable
                projectId={project.id}
                metrics={shown}
                sort={sort}
                onSort={setSort}
                canManage={canManage}
                onEdit={setEditing}
                onDelete={setDeleting}
              />
            </Card>
          )}
        </Stack>
      </Stack>
    );
  }

  return (
    <>
      <PageHeader
        title="Metrics"
        documentTitle={`Metrics · ${project.name}`}
        description={`What your code sends to ${project.name}. Totals update live.`}
        actions={metrics !== undefined && metrics.length > 0 ? newMetric : undefined}
      />
      {content}
      {canManage && (
        <>
          <MetricFormModal
            projectId={project.id}
            opened={creating}
            onClose={() => setCreating(false)}
            onCreated={(metric) => {
              if (metrics?.some((m) => m.eventCount > 0)) {
                void navigate(`/projects/${project.id}/metrics/${metric.id}`);
              }
            }}
          />
          <MetricFormModal
            projectId={project.id}
            opened={editing !== undefined}
            onClose={() => setEditing(undefined)}
            {...(editing === undefined ? {} : { metric: editing })}
          />
          <DeleteMetricDialog
            projectId={project.id}
            metric={deleting}
            onClose={() => setDeleting(undefined)}
          />
        </>
      )}
    </>
  );
}
