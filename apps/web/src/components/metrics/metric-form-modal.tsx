import {
  Button,
  Group,
  Modal,
  Radio,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Stepper,
  Text,
  TextInput,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useEffect, useState } from 'react';
import {
  type CreateMetricBody,
  METRIC_TYPES,
  type Metric,
  type MetricType,
  type PresetUnit,
  type UnitInput,
} from '../../api/types';
import { formErrors } from '../../lib/describe-error';
import { notifySuccess } from '../../lib/notify';
import { useCreateMetric, useUnits, useUpdateMetric } from '../../queries/metrics';
import { ErrorAlert } from '../error-alert';
import { METRIC_TYPE_INFO } from './metric-labels';

type UnitMode = 'none' | 'preset' | 'custom';

interface Values {
  type: MetricType;
  name: string;
  positiveName: string;
  negativeName: string;
  unitMode: UnitMode;
  presetUnit: string;
  customName: string;
  customSymbol: string;
}

function initialValues(metric: Metric | undefined, presets: PresetUnit[]): Values {
  const unit = metric?.unit ?? null;
  const preset =
    unit === null
      ? undefined
      : presets.find((p) => p.name === unit.name && p.symbol === unit.symbol);
  return {
    type: metric?.type ?? 'basic',
    name: metric?.name ?? '',
    positiveName: metric?.positiveName ?? '',
    negativeName: metric?.negativeName ?? '',
    unitMode: unit === null ? 'none' : preset !== undefined ? 'preset' : 'custom',
    presetUnit: preset?.id ?? '',
    customName: preset === undefined ? (unit?.name ?? '') : '',
    customSymbol: preset === undefined ? (unit?.symbol ?? '') : '',
  };
}

function unitInput(values: Values): UnitInput {
  if (values.unitMode === 'preset' && values.presetUnit !== '') return values.presetUnit;
  if (values.unitMode === 'custom') {
    return { name: values.customName.trim(), symbol: values.customSymbol.trim() };
  }
  return null;
}

export interface MetricFormModalProps {
  projectId: string;
  opened: boolean;
  onClose: () => void;
  /** Edits this metric; without it, creates one. */
  metric?: Metric;
  onCreated?: (metric: Metric) => void;
}

/**
 * Creating a metric, as a three-step wizard (type → name → unit), or editing one (name, side
 * names, unit; the type never changes).
 */
export function MetricFormModal({
  projectId,
  opened,
  onClose,
  metric,
  onCreated,
}: MetricFormModalProps) {
  const editing = metric !== undefined;
  const units = useUnits();
  const create = useCreateMetric(projectId);
  const update = useUpdateMetric(projectId, metric?.id ?? '');
  const mutation = editing ? update : create;
  const [step, setStep] = useState(0);

  const form = useForm<Values>({
    initialValues: initialValues(metric, []),
    validate: {
      name: (v) =>
        v.trim() === ''
          ? 'Give the metric a name'
          : v.includes('/')
            ? 'A name cannot contain "/"'
            : v.trim().length > 50
              ? 'At most 50 characters'
              : null,
      positiveName: (v, values) =>
        values.type === 'dual' && v.trim().length > 50 ? 'At most 50 characters' : null,
      negativeName: (v, values) =>
        values.type === 'dual' && v.trim().length > 50 ? 'At most 50 characters' : null,
      presetUnit: (v, values) => (values.unitMode === 'preset' && v === '' ? 'Pick a unit' : null),
      customName: (v, values) =>
        values.unitMode === 'custom' && (v.trim() === '' || v.trim().length > 30)
          ? 'A name of 1 to 30 characters'
          : null,
      customSymbol: (v, values) =>
        values.unitMode === 'custom' && (v.trim() === '' || v.trim().length > 10)
          ? 'A symbol of 1 to 10 characters'
          : null,
    },
  });

  // Fill the form each time the dialog opens (and once the preset units are known).
  // biome-ignore lint/correctness/useExhaustiveDependencies: form is stable; reset on open only
  useEffect(() => {
    if (!opened) return;
    const values = initialValues(metric, units.data ?? []);
    form.setValues(values);
    form.resetDirty(values);
    form.clearErrors();
    setStep(0);
    create.reset();
    update.reset();
  }, [opened, metric, units.data]);

  const close = () => {
    if (!mutation.isPending) onClose();
  };

  const submit = form.onSubmit(async (values) => {
    const sides =
      values.type === 'dual'
        ? {
            ...(values.positiveName.trim() === ''
              ? {}
              : { positiveName: values.positiveName.trim() }),
            ...(values.negativeName.trim() === ''
              ? {}
              : { negativeName: values.negativeName.trim() }),
          }
        : {};
    try {
      if (editing) {
        await update.mutateAsync({ name: values.name.trim(), unit: unitInput(values), ...sides });
        notifySuccess(`Metric “${values.name.trim()}” saved`);
      } else {
        const body: CreateMetricBody = {
          name: values.name.trim(),
          type: values.type,
          unit: unitInput(values),
          ...sides,
        };
        const created = await create.mutateAsync(body);
        notifySuccess(`Metric “${created.name}” created`);
        onCreated?.(created);
      }
      onClose();
    } catch (error) {
      const fields = formErrors(error);
      form.setErrors(fields);
      if (!editing && (fields.name !== undefined || fields.positiveName !== undefined)) {
        setStep(1);
      }
    }
  });

  const typeStep = (
    <Radio.Group
      label="What does it measure?"
      value={form.values.type}
      onChange={(value) => form.setFieldValue('type', value as MetricType)}
    >
      <Stack gap="xs" mt="xs">
        {METRIC_TYPES.map((type) => (
          <Radio.Card key={type} value={type} p="md" radius="md">
            <Group wrap="nowrap" align="flex-start" gap="sm">
              <Radio.Indicator mt={2} />
              <div>
                <Text fw={600} size="sm">
                  {METRIC_TYPE_INFO[type].label}
                </Text>
                <Text size="sm" c="dimmed">
                  {METRIC_TYPE_INFO[type].description}
                </Text>
                <Text size="xs" c="dimmed" mt={2}>
                  e.g. {METRIC_TYPE_INFO[type].example}
                </Text>
              </div>
            </Group>
          </Radio.Card>
        ))}
      </Stack>
    </Radio.Group>
  );

  const nameStep = (
    <Stack gap="sm">
      <TextInput
        label="Name"
        description="Used in the URL your code posts to, e.g. /event/v1/signups."
        placeholder={form.values.type === 'average' ? 'response time' : 'signups'}
        maxLength={50}
        data-autofocus
        autoComplete="off"
        {...form.getInputProps('name')}
      />
      {form.values.type === 'dual' && (
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
          <TextInput
            label="Positive side"
            placeholder="Positive"
            description="What positive values are"
            maxLength={50}
            {...form.getInputProps('positiveName')}
          />
          <TextInput
            label="Negative side"
            placeholder="Negative"
            description="What negative values are"
            maxLength={50}
            {...form.getInputProps('negativeName')}
          />
        </SimpleGrid>
      )}
    </Stack>
  );

  const unitStep = (
    <Stack gap="sm">
      <div>
        <Text size="sm" fw={500} mb={4}>
          Unit
        </Text>
        <SegmentedControl
          fullWidth
          value={form.values.unitMode}
          onChange={(value) => form.setFieldValue('unitMode', value as UnitMode)}
          data={[
            { value: 'none', label: 'None' },
            { value: 'preset', label: 'Preset' },
            { value: 'custom', label: 'Custom' },
          ]}
        />
      </div>
      {form.values.unitMode === 'preset' && (
        <Select
          label="Preset unit"
          placeholder={units.isPending ? 'Loading…' : 'Pick a unit'}
          searchable
          data={(units.data ?? []).map((u) => ({ value: u.id, label: `${u.name} (${u.symbol})` }))}
          comboboxProps={{ withinPortal: true }}
          {...form.getInputProps('presetUnit')}
          onChange={(value) => form.setFieldValue('presetUnit', value ?? '')}
        />
      )}
      {form.values.unitMode === 'custom' && (
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
          <TextInput
            label="Name"
            placeholder="Credits"
            maxLength={30}
            {...form.getInputProps('customName')}
          />
          <TextInput
            label="Symbol"
            placeholder="cr"
            maxLength={10}
            {...form.getInputProps('customSymbol')}
          />
        </SimpleGrid>
      )}
      {units.error !== null && <ErrorAlert error={units.error} title="Could not load units" />}
    </Stack>
  );

  const next = () => {
    if (step === 1) {
      const invalid = ['name', 'positiveName', 'negativeName'].some(
        (field) => form.validateField(field).hasError,
      );
      if (invalid) return;
    }
    setStep((s) => Math.min(2, s + 1));
  };

  return (
    <Modal
      opened={opened}
      onClose={close}
      title={<Text fw={600}>{editing ? `Edit ${metric.name}` : 'New metric'}</Text>}
      size="lg"
      closeOnClickOutside={!mutation.isPending}
    >
      <form onSubmit={submit} noValidate>
        <Stack gap="lg">
          {editing ? (
            <>
              {nameStep}
              {unitStep}
            </>
          ) : (
            <Stepper active={step} onStepClick={(s) => s < step && setStep(s)} size="sm">
              <Stepper.Step label="Type">{typeStep}</Stepper.Step>
              <Stepper.Step label="Name">{nameStep}</Stepper.Step>
              <Stepper.Step label="Unit">{unitStep}</Stepper.Step>
            </Stepper>
          )}
          {mutation.error !== null && Object.keys(formErrors(mutation.error)).length === 0 && (
            <ErrorAlert error={mutation.error} />
          )}
          <Group justify="space-between" gap="sm">
            {!editing && step > 0 ? (
              <Button variant="subtle" color="gray" onClick={() => setStep((s) => s - 1)}>
                Back
              </Button>
            ) : (
              <span />
            )}
            <Group gap="sm">
              <Button variant="default" onClick={close} disabled={mutation.isPending}>
                Cancel
              </Button>
              {!editing && step < 2 ? (
                <Button key="next" onClick={next}>
                  Next
                </Button>
              ) : (
                <Button key="submit" type="submit" loading={mutation.isPending}>
                  {editing ? 'Save' : 'Create metric'}
                </Button>
              )}
            </Group>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
