import { Checkbox, Group, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { fieldError } from '../../ui/api-error';

/** A parameter a deploy needs: whether it is secret, and whether the environment holds a value already. */
export interface ParameterNeed {
  name: string;
  secret: boolean;
  stored: boolean;
  value?: string;
}

export interface ParameterValue {
  value: string;
  secret: boolean;
}

/** The body's `params`: what was typed (secret ones marked); empty inputs are left out so stored values are reused. */
export const paramsBody = (needs: ParameterNeed[], values: Record<string, ParameterValue>) =>
  Object.fromEntries(
    needs.flatMap((n) => {
      const v = values[n.name] ?? { value: n.value ?? '', secret: n.secret };
      if (v.value === '') return [];
      return [[n.name, v.secret || n.secret ? { value: v.value, secret: true } : v.value]];
    }),
  ) as Record<string, string | { value: string; secret?: boolean }>;

/**
 * One input per `${parameter}`: secret ones masked; a value the environment
 * holds already is reused when left empty (only missing ones are required).
 */
export function ParameterInputs({
  needs,
  values,
  onChange,
  error,
}: {
  needs: ParameterNeed[];
  values: Record<string, ParameterValue>;
  onChange: (values: Record<string, ParameterValue>) => void;
  error: unknown;
}) {
  if (needs.length === 0)
    return (
      <Text size="sm" c="dimmed">
        This deployment uses no parameters.
      </Text>
    );
  const set = (n: ParameterNeed, change: Partial<ParameterValue>) => onChange({ ...values, [n.name]: { ...(values[n.name] ?? { value: n.value ?? '', secret: n.secret }), ...change } });
  return (
    <Stack gap="sm">
      {needs.map((n) => {
        const v = values[n.name] ?? { value: n.value ?? '', secret: n.secret };
        const masked = n.secret || v.secret;
        const description = n.stored
          ? masked
            ? 'Stored (secret). Leave empty to keep the current value.'
            : 'Stored. Change it or keep it.'
          : masked
            ? 'Secret: encrypted at rest, never shown again.'
            : 'Required: this environment has no value yet.';
        const common = {
          label: n.name,
          description,
          withAsterisk: !n.stored,
          value: v.value,
          placeholder: n.stored && masked ? 'Keep the current value' : undefined,
          error: fieldError(error, `params.${n.name}`),
          onChange: (e: { currentTarget: { value: string } }) => set(n, { value: e.currentTarget.value }),
          style: { flex: 1 },
          autoComplete: 'off',
        };
        return (
          <Group key={n.name} align="flex-start" wrap="nowrap">
            {masked ? <PasswordInput {...common} /> : <TextInput {...common} />}
            {!n.secret && <Checkbox mt={34} label="Secret" aria-label={`${n.name} is secret`} checked={v.secret} onChange={(e) => set(n, { secret: e.currentTarget.checked })} />}
          </Group>
        );
      })}
    </Stack>
  );
}
