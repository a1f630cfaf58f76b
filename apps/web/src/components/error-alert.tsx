import { Alert, type AlertProps, Button, Group, List, Stack, Text } from '@mantine/core';
import { IconAlertTriangle, IconRefresh } from '@tabler/icons-react';
import { describeError } from '../lib/describe-error';

export interface ErrorAlertProps extends Omit<AlertProps, 'title' | 'children'> {
  /** Anything thrown or returned as an error; an ApiError shows its title and detail. */
  error: unknown;
  /** Replaces the error's own title, e.g. "Could not load the projects". */
  title?: string;
  /** Shows a "Try again" button. */
  onRetry?: () => void;
}

/** A readable message for any error, with the server's reference for faults on its side. */
export function ErrorAlert({ error, title, onRetry, ...props }: ErrorAlertProps) {
  const { title: ownTitle, detail, fields, reference } = describeError(error);
  return (
    <Alert
      color="red"
      variant="light"
      icon={<IconAlertTriangle size={20} stroke={1.8} />}
      title={title ?? ownTitle}
      role="alert"
      {...props}
    >
      <Stack gap={6}>
        <Text size="sm">{detail}</Text>
        {fields.length > 0 && (
          <List size="sm" spacing={2}>
            {fields.map((field) => (
              <List.Item key={field}>{field}</List.Item>
            ))}
          </List>
        )}
        {(reference !== undefined || onRetry !== undefined) && (
          <Group justify="space-between" gap="xs" mt={4} wrap="wrap">
            {reference !== undefined ? (
              <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
                Reference: {reference}
              </Text>
            ) : (
              <span />
            )}
            {onRetry !== undefined && (
              <Button
                size="compact-sm"
                variant="white"
                color="red"
                leftSection={<IconRefresh size={14} />}
                onClick={onRetry}
              >
                Try again
              </Button>
            )}
          </Group>
        )}
      </Stack>
    </Alert>
  );
}
