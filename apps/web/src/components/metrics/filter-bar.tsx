import { Button, Group, Pill, Popover, Select, Stack, Text } from '@mantine/core';
import { IconFilter, IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import type { FiltersResponse } from '../../api/types';

export interface FilterBarProps {
  /** The keys the metric has seen, with their values (GET …/filters). */
  keys: FiltersResponse['keys'];
  value: Record<string, string>;
  onChange: (filters: Record<string, string>) => void;
}

/** The filters narrowing a metric page, as removable chips, and a picker to add one. */
export function FilterBar({ keys, value, onChange }: FilterBarProps) {
  const [opened, setOpened] = useState(false);
  const [key, setKey] = useState<string | null>(null);
  const [choice, setChoice] = useState<string | null>(null);
  const available = keys.filter((k) => value[k.key] === undefined);
  const values = keys.find((k) => k.key === key)?.values ?? [];
  const active = Object.entries(value);

  const add = () => {
    if (key === null || choice === null) return;
    onChange({ ...value, [key]: choice });
    setKey(null);
    setChoice(null);
    setOpened(false);
  };

  const remove = (name: string) => {
    const { [name]: _removed, ...rest } = value;
    onChange(rest);
  };

  return (
    <Group gap="xs" wrap="wrap" align="center">
      <Popover
        opened={opened}
        onChange={setOpened}
        position="bottom-start"
        shadow="md"
        width={280}
        trapFocus
      >
        <Popover.Target>
          <Button
            variant="default"
            size="xs"
            leftSection={<IconFilter size={14} />}
            rightSection={<IconPlus size={12} />}
            onClick={() => setOpened((o) => !o)}
            disabled={available.length === 0}
            title={keys.length === 0 ? 'No event of this metric carries filters yet' : undefined}
          >
            Filter
          </Button>
        </Popover.Target>
        <Popover.Dropdown>
          <Stack gap="sm">
            <Select
              label="Key"
              placeholder="country, plan…"
              data={available.map((k) => k.key)}
              value={key}
              onChange={(k) => {
                setKey(k);
                setChoice(null);
              }}
              searchable
              comboboxProps={{ withinPortal: false }}
            />
            <Select
              label="Value"
              placeholder={key === null ? 'Pick a key first' : 'Pick a value'}
              data={values}
              value={choice}
              onChange={setChoice}
              disabled={key === null}
              searchable
              limit={200}
              comboboxProps={{ withinPortal: false }}
            />
            <Button size="xs" onClick={add} disabled={key === null || choice === null}>
              Add filter
            </Button>
          </Stack>
        </Popover.Dropdown>
      </Popover>
      {active.map(([name, v]) => (
        <Pill
          key={name}
          size="md"
          withRemoveButton
          onRemove={() => remove(name)}
          // Mantine hides the remove button from assistive technology and the keyboard by default.
          removeButtonProps={{
            'aria-label': `Remove filter ${name}`,
            'aria-hidden': false,
            tabIndex: 0,
          }}
        >
          {name}: <b>{v}</b>
        </Pill>
      ))}
      {active.length > 1 && (
        <Button variant="subtle" size="compact-xs" color="gray" onClick={() => onChange({})}>
          Clear all
        </Button>
      )}
      {keys.length === 0 && (
        <Text size="xs" c="dimmed">
          Send events with <code>filters</code> to narrow and break down this metric.
        </Text>
      )}
    </Group>
  );
}
