import { Text } from '@mantine/core';
import { useState } from 'react';
import type { Metric } from '../../api/types';
import { plural } from '../../lib/format';
import { notifySuccess } from '../../lib/notify';
import { useDeleteMetric } from '../../queries/metrics';
import { ConfirmDelete } from '../confirm-delete';

export interface DeleteMetricDialogProps {
  projectId: string;
  /** The metric to delete; the dialog is open while it is set. */
  metric: Metric | undefined;
  onClose: () => void;
  onDeleted?: () => void;
}

/** Deletes a metric and its events, once its name is typed. */
export function DeleteMetricDialog({
  projectId,
  metric,
  onClose,
  onDeleted,
}: DeleteMetricDialogProps) {
  const remove = useDeleteMetric(projectId);
  // Keep the last metric while the dialog fades out.
  const [shown, setShown] = useState(metric);
  if (metric !== undefined && metric !== shown) setShown(metric);
  const target = metric ?? shown;
  if (target === undefined) return null;
  return (
    <ConfirmDelete
      opened={metric !== undefined}
      onClose={onClose}
      title="Delete metric?"
      confirmLabel="Delete metric"
      typeToConfirm={target.name}
      onConfirm={async () => {
        await remove.mutateAsync(target.id);
        notifySuccess(`Metric “${target.name}” deleted`);
        onDeleted?.();
      }}
    >
      <Text size="sm">
        <b>{target.name}</b> and its {plural(target.eventCount, 'event')} will be deleted for good.
        Code still sending to it will get <code>METRIC_UNKNOWN</code> errors.
      </Text>
    </ConfirmDelete>
  );
}
