import { Button, Code, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { type FormEvent, type ReactNode, useState } from 'react';
import { ErrorAlert } from './error-alert';

export interface ConfirmDeleteProps {
  opened: boolean;
  onClose: () => void;
  /** "Delete project?" */
  title: string;
  /** What will be lost. */
  children: ReactNode;
  /** The button that does it: "Delete project". */
  confirmLabel: string;
  /**
   * When set, the button stays disabled until this exact text is typed (for what cannot be
   * undone and loses much, like a project and all its data).
   */
  typeToConfirm?: string;
  /** Does it; the dialog shows the error if it throws, and closes when it resolves. */
  onConfirm: () => Promise<unknown>;
}

/** Asks before anything destructive; with `typeToConfirm`, asks for the name to be typed. */
export function ConfirmDelete({
  opened,
  onClose,
  title,
  children,
  confirmLabel,
  typeToConfirm,
  onConfirm,
}: ConfirmDeleteProps) {
  const [typed, setTyped] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const matches = typeToConfirm === undefined || typed.trim() === typeToConfirm.trim();

  const close = () => {
    if (pending) return;
    setTyped('');
    setError(null);
    onClose();
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!matches || pending) return;
    setPending(true);
    setError(null);
    try {
      await onConfirm();
      setTyped('');
      onClose();
    } catch (caught) {
      setError(caught);
    } finally {
      setPending(false);
    }
  };

  return (
    <Modal
      opened={opened}
      onClose={close}
      title={
        <Group gap="xs" wrap="nowrap">
          <IconAlertTriangle size={20} color="var(--mantine-color-red-6)" />
          <Text fw={600}>{title}</Text>
        </Group>
      }
      closeOnClickOutside={!pending}
      closeOnEscape={!pending}
    >
      <form onSubmit={submit}>
        <Stack gap="md">
          <Text size="sm" component="div">
            {children}
          </Text>
          {typeToConfirm !== undefined && (
            <TextInput
              label={
                <>
                  Type <Code fz="sm">{typeToConfirm}</Code> to confirm
                </>
              }
              styles={{ label: { overflowWrap: 'anywhere', lineHeight: 1.6 } }}
              value={typed}
              onChange={(event) => setTyped(event.currentTarget.value)}
              autoComplete="off"
              spellCheck={false}
              data-autofocus
            />
          )}
          {error !== null && <ErrorAlert error={error} />}
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={close} disabled={pending}>
              Cancel
            </Button>
            <Button type="submit" color="red" loading={pending} disabled={!matches}>
              {confirmLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
