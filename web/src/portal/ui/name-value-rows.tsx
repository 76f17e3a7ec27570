import { ActionIcon, Button, Group, Stack, Text, TextInput } from '@mantine/core';

export interface NameValue {
  name: string;
  value: string;
}

/** Editable name/value rows (query parameters, headers); each row's inputs are named after the list and its number. */
export function NameValueRows({
  label,
  rows,
  onChange,
  addLabel,
  errors = {},
}: {
  label: string;
  rows: NameValue[];
  onChange: (rows: NameValue[]) => void;
  addLabel: string;
  /** Errors by row index and field, e.g. `{ "0.name": "cannot be set" }`. */
  errors?: Record<string, string>;
}) {
  const set = (i: number, patch: Partial<NameValue>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <Stack gap={6}>
      <Text size="sm" fw={500}>
        {label}
      </Text>
      {rows.map((row, i) => (
        <Group key={i} gap="xs" align="flex-start" wrap="nowrap">
          <TextInput
            aria-label={`${label} ${i + 1} name`}
            placeholder="Name"
            value={row.name}
            onChange={(e) => set(i, { name: e.currentTarget.value })}
            error={errors[`${i}.name`]}
            style={{ flex: 1 }}
          />
          <TextInput
            aria-label={`${label} ${i + 1} value`}
            placeholder="Value"
            value={row.value}
            onChange={(e) => set(i, { value: e.currentTarget.value })}
            error={errors[`${i}.value`]}
            style={{ flex: 2 }}
          />
          <ActionIcon variant="default" size="lg" style={{ height: 36, width: 36 }} aria-label={`Remove ${label.toLowerCase()} ${i + 1}`} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            ×
          </ActionIcon>
        </Group>
      ))}
      <Group>
        <Button variant="subtle" size="xs" onClick={() => onChange([...rows, { name: '', value: '' }])}>
          {addLabel}
        </Button>
      </Group>
    </Stack>
  );
}
