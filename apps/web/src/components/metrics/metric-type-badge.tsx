import { Badge, type BadgeProps } from '@mantine/core';
import type { MetricType } from '../../api/types';
import { METRIC_TYPE_INFO } from './metric-labels';

/** basic · dual · average, colored. */
export function MetricTypeBadge({ type, ...props }: { type: MetricType } & BadgeProps) {
  const info = METRIC_TYPE_INFO[type];
  return (
    <Badge variant="light" color={info.color} radius="sm" {...props}>
      {info.label}
    </Badge>
  );
}
