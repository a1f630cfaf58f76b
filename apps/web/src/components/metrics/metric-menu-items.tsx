import { Menu } from '@mantine/core';
import { IconCopy, IconPencil, IconTrash } from '@tabler/icons-react';

/** A metric's actions in a menu: copy its id, and for managers edit and delete. */
export function MetricMenuItems({
  canManage,
  onCopyId,
  onEdit,
  onDelete,
}: {
  canManage: boolean;
  onCopyId: () => void;
  onEdit: () => void;
  onDelete: () => void;
}) {
  return (
    <>
      <Menu.Item leftSection={<IconCopy size={16} />} onClick={onCopyId}>
        Copy id
      </Menu.Item>
      {canManage && (
        <>
          <Menu.Item leftSection={<IconPencil size={16} />} onClick={onEdit}>
            Edit
          </Menu.Item>
          <Menu.Divider />
          <Menu.Item color="red" leftSection={<IconTrash size={16} />} onClick={onDelete}>
            Delete
          </Menu.Item>
        </>
      )}
    </>
  );
}
