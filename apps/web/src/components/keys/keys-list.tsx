import { Card, Code, Group, Stack, Table, Text, Tooltip, VisuallyHidden } from '@mantine/core';
import { Fragment } from 'react';
import type { ApiKey } from '../../api/types';
import { formatDate, formatDateTime, formatRelative } from '../../lib/format';
import { KeyActions } from './key-actions';
import { KeyScopeBadge, KeyStatusBadge } from './key-badges';
import { TrackerSnippet } from './tracker-snippet';

export interface KeysListProps {
  keys: ApiKey[];
  /** Set for owners and admins: each active key gets its actions. */
  onRotate?: ((key: ApiKey) => void) | undefined;
  onRevoke?: ((key: ApiKey) => void) | undefined;
  onEditOrigins?: ((key: ApiKey) => void) | undefined;
}

/** An active public key shows where it is allowed and its snippet, under its row. */
const hasSnippet = (key: ApiKey): boolean => key.status === 'active' && key.snippet !== undefined;

function LastUsed({ iso }: { iso: string | null }) {
  if (iso === null)
    return (
      <Text span size="sm" c="dimmed">
        Never
      </Text>
    );
  return (
    <Tooltip label={formatDateTime(iso)} openDelay={300}>
      <Text span size="sm">
        {formatRelative(iso)}
      </Text>
    </Tooltip>
  );
}

function Prefix({ prefix }: { prefix: string }) {
  return (
    <Code fz="sm" style={{ whiteSpace: 'nowrap' }}>
      {prefix}…
    </Code>
  );
}

/** Active keys first, newest first within each group. */
function sortKeys(keys: ApiKey[]): ApiKey[] {
  return [...keys].sort(
    (a, b) =>
      Number(a.status === 'revoked') - Number(b.status === 'revoked') ||
      b.createdAt.localeCompare(a.createdAt),
  );
}

/** The keys as a table from the `sm` breakpoint on, as cards on a phone. */
export function KeysList({ keys, onRotate, onRevoke, onEditOrigins }: KeysListProps) {
  const sorted = sortKeys(keys);
  const actions = (key: ApiKey) =>
    onRotate !== undefined && onRevoke !== undefined ? (
      <KeyActions
        apiKey={key}
        onRotate={onRotate}
        onRevoke={onRevoke}
        onEditOrigins={onEditOrigins}
      />
    ) : null;
  const columns = onRotate !== undefined ? 7 : 6;
  const dim = (key: ApiKey) => (key.status === 'revoked' ? { opacity: 0.6 } : undefined);

  return (
    <>
      <Card p={0} visibleFrom="sm">
        <Table.ScrollContainer minWidth={720} type="native">
          <Table verticalSpacing="sm" horizontalSpacing="md" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Scope</Table.Th>
                <Table.Th>Prefix</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th>Last used</Table.Th>
                <Table.Th>Status</Table.Th>
                {onRotate !== undefined && (
                  <Table.Th w={52}>
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.Th>
                )}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {sorted.map((key) => (
                <Fragment key={key.id}>
                  <Table.Tr style={hasSnippet(key) ? { borderBottom: 'none' } : undefined}>
                    <Table.Td style={dim(key)}>
                      <Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>
                        {key.name}
                      </Text>
                    </Table.Td>
                    <Table.Td style={dim(key)}>
                      <KeyScopeBadge scope={key.scope} />
                    </Table.Td>
                    <Table.Td style={dim(key)}>
                      <Prefix prefix={key.prefix} />
                    </Table.Td>
                    <Table.Td style={dim(key)}>
                      <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                        {formatDate(key.createdAt)}
                      </Text>
                      {key.createdBy !== null && (
                        <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
                          by {key.createdBy.name}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap', ...dim(key) }}>
                      <LastUsed iso={key.lastUsedAt} />
                    </Table.Td>
                    <Table.Td>
                      <KeyStatusBadge status={key.status} />
                    </Table.Td>
                    {onRotate !== undefined && <Table.Td ta="right">{actions(key)}</Table.Td>}
                  </Table.Tr>
                  {hasSnippet(key) && (
                    <Table.Tr>
                      <Table.Td colSpan={columns} pt={0}>
                        <TrackerSnippet apiKey={key} />
                      </Table.Td>
                    </Table.Tr>
                  )}
                </Fragment>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Card>

      <Stack gap="sm" hiddenFrom="sm">
        {sorted.map((key) => (
          <Card key={key.id} p="md">
            <Stack gap="xs">
              <Group justify="space-between" wrap="nowrap" gap="xs" align="flex-start">
                <Text fw={600} style={{ overflowWrap: 'anywhere', ...dim(key) }}>
                  {key.name}
                </Text>
                {actions(key)}
              </Group>
              <Group gap="xs">
                <KeyScopeBadge scope={key.scope} />
                <KeyStatusBadge status={key.status} />
                <Prefix prefix={key.prefix} />
              </Group>
              <Text size="xs" c="dimmed">
                Created {formatDate(key.createdAt)}
                {key.createdBy !== null && ` by ${key.createdBy.name}`} · last used{' '}
                {key.lastUsedAt === null ? 'never' : formatRelative(key.lastUsedAt)}
                {key.revokedAt !== null && ` · revoked ${formatDate(key.revokedAt)}`}
              </Text>
              {hasSnippet(key) && <TrackerSnippet apiKey={key} />}
            </Stack>
          </Card>
        ))}
      </Stack>
    </>
  );
}
