import {
  ActionIcon,
  Anchor,
  Menu,
  Table,
  Text,
  Tooltip,
  UnstyledButton,
  VisuallyHidden,
} from '@mantine/core';
import { IconChevronDown, IconChevronUp, IconDots, IconSelector } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { OverviewMetric } from '../../api/types';
import { copyText } from '../../lib/clipboard';
import { formatDateTime, formatRelative } from '../../lib/format';
import { notifyError, notifySuccess } from '../../lib/notify';
import { formatAmount } from '../../lib/units';
import { Sparkline } from '../charts/sparkline';
import { ChangeText } from './change-text';
import { unitLabel } from './metric-labels';
import { MetricMenuItems } from './metric-menu-items';
import { MetricTypeBadge } from './metric-type-badge';
import { allTimeValue, periodValue, type Sort, type SortColumn } from './sort-metrics';

export interface MetricsTableProps {
  projectId: string;
  metrics: OverviewMetric[];
  sort: Sort;
  onSort: (sort: Sort) => void;
  /** Shows edit and delete in each row's menu. */
  canManage: boolean;
  onEdit: (metric: OverviewMetric) => void;
  onDelete: (metric: OverviewMetric) => void;
}

function SortHeader({
  column,
  sort,
  onSort,
  children,
  align = 'left',
}: {
  column: SortColumn;
  sort: Sort;
  onSort: (sort: Sort) => void;
  children: ReactNode;
  align?: 'left' | 'right';
}) {
  const active = sort.column === column;
  const Icon = !active ? IconSelector : sort.descending ? IconChevronDown : IconChevronUp;
  return (
    <Table.Th
      ta={align}
      aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : 'none'}
      style={{ whiteSpace: 'nowrap' }}
    >
      <UnstyledButton
        onClick={() =>
          onSort({
            column,
            // Numbers read best largest first; names A to Z.
            descending: active ? !sort.descending : column !== 'name' && column !== 'type',
          })
        }
        fz="sm"
        fw={600}
        style={{ display: 'inline-flex', alignItems: 'center', gap: 4 }}
      >
        {children}
        <Icon size={14} stroke={1.8} color={active ? undefined : 'var(--mantine-color-dimmed)'} />
      </UnstyledButton>
    </Table.Th>
  );
}

async function copyId(id: string) {
  if (await copyText(id)) notifySuccess('Metric id copied');
  else notifyError(new Error('The browser refused to copy. Select the id and copy it.'));
}

/**
 * The project's metrics with their totals, today against yesterday at this time and 15 days of
 * trend.
 */
export function MetricsTable({
  projectId,
  metrics,
  sort,
  onSort,
  canManage,
  onEdit,
  onDelete,
}: MetricsTableProps) {
  const header = { sort, onSort };
  return (
    <Table.ScrollContainer minWidth={860} type="native">
      <Table verticalSpacing="sm" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <SortHeader column="name" {...header}>
              Name
            </SortHeader>
            <SortHeader column="type" {...header}>
              Type
            </SortHeader>
            <Table.Th>Unit</Table.Th>
            <SortHeader column="total" align="right" {...header}>
              All time
            </SortHeader>
            <SortHeader column="today" align="right" {...header}>
              Today
            </SortHeader>
            <SortHeader column="change" align="right" {...header}>
              vs yesterday
            </SortHeader>
            <SortHeader column="lastEvent" {...header}>
              Last event
            </SortHeader>
            <Table.Th>Last 15 days</Table.Th>
            <Table.Th w={48}>
              <VisuallyHidden>Actions</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {metrics.map((metric) => (
            <Table.Tr key={metric.id}>
              <Table.Td maw={240}>
                <Anchor
                  component={Link}
                  to={`/projects/${projectId}/metrics/${metric.id}`}
                  fw={600}
                  fz="sm"
                  style={{ overflowWrap: 'anywhere' }}
                >
                  {metric.name}
                </Anchor>
              </Table.Td>
              <Table.Td>
                <MetricTypeBadge type={metric.type} />
              </Table.Td>
              <Table.Td>
                <Text size="sm" c={metric.unit === null ? 'dimmed' : undefined} truncate maw={140}>
                  {metric.unit === null ? '—' : unitLabel(metric.unit)}
                </Text>
              </Table.Td>
              <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                <Text size="sm" fw={600} span>
                  {formatAmount(allTimeValue(metric), metric.unit)}
                </Text>
                {metric.type === 'average' && (
                  <Text size="xs" c="dimmed" span>
                    {' '}
                    avg
                  </Text>
                )}
              </Table.Td>
              <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                <Text size="sm" span>
                  {formatAmount(periodValue(metric.type, metric.today), metric.unit)}
                </Text>
              </Table.Td>
              <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                <Tooltip
                  label={`Yesterday at this time: ${formatAmount(
                    periodValue(metric.type, metric.yesterdayAtThisTime),
                    metric.unit,
                  )}`}
                >
                  <span>
                    <ChangeText change={metric.change} size="sm" />
                  </span>
                </Tooltip>
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                <Tooltip
                  label={formatDateTime(metric.lastEventAt)}
                  disabled={metric.lastEventAt === null}
                >
                  <Text size="sm" c={metric.lastEventAt === null ? 'dimmed' : undefined} span>
                    {formatRelative(metric.lastEventAt)}
                  </Text>
                </Tooltip>
              </Table.Td>
              <Table.Td py={4}>
                {metric.eventCount === 0 ? (
                  <Text size="xs" c="dimmed">
                    No events yet
                  </Text>
                ) : (
                  <Sparkline
                    values={metric.sparkline.map((p) => p.value)}
                    label={`${metric.name}, last 15 days`}
                  />
                )}
              </Table.Td>
              <Table.Td>
                <Menu position="bottom-end" withinPortal>
                  <Menu.Target>
                    <ActionIcon
                      variant="subtle"
                      color="gray"
                      aria-label={`Actions for ${metric.name}`}
                    >
                      <IconDots size={18} />
                    </ActionIcon>
                  </Menu.Target>
                  <Menu.Dropdown>
                    <MetricMenuItems
                      canManage={canManage}
                      onCopyId={() => void copyId(metric.id)}
                      onEdit={() => onEdit(metric)}
                      onDelete={() => onDelete(metric)}
                    />
                  </Menu.Dropdown>
                </Menu>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
