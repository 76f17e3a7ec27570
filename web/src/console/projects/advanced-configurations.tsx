import { useState } from 'react';
import { Accordion, Button, Checkbox, Group, NumberInput, Stack, TagsInput, Text } from '@mantine/core';
import { fieldError } from '../../ui/api-error';
import { GRANT_TYPES, TOKEN_LIFETIME } from './queries';

export interface CredentialSettings {
  grantTypes: string[];
  scopes: string[];
  tokenLifetime: number;
}

export const DEFAULT_SETTINGS: CredentialSettings = { grantTypes: ['client_credentials'], scopes: [], tokenLifetime: TOKEN_LIFETIME.default };

const grantTypesProblem = (s: CredentialSettings) => (s.grantTypes.length === 0 ? 'Enable at least one grant type' : undefined);
const lifetimeProblem = (s: CredentialSettings) =>
  !Number.isInteger(s.tokenLifetime) || s.tokenLifetime < TOKEN_LIFETIME.min || s.tokenLifetime > TOKEN_LIFETIME.max
    ? `Must be a whole number of seconds between ${TOKEN_LIFETIME.min} and ${TOKEN_LIFETIME.max}`
    : undefined;

/** Why the settings cannot be sent, if they cannot. */
export const settingsProblem = (s: CredentialSettings): string | undefined => grantTypesProblem(s) ?? lifetimeProblem(s);

/**
 * Advanced Configurations of built-in keys: grant types, allowed scopes and
 * token lifetime. With `onSave` it edits existing keys (Save); without, the
 * values go with Generate Keys.
 */
export function AdvancedConfigurations({
  value,
  onChange,
  error,
  readOnly,
  onSave,
  saving,
  dirty,
}: {
  value: CredentialSettings;
  onChange: (value: CredentialSettings) => void;
  error: unknown;
  readOnly: boolean;
  onSave?: () => void;
  saving?: boolean;
  dirty?: boolean;
}) {
  const [lifetimeText, setLifetimeText] = useState<string | number>(value.tokenLifetime);
  const problem = settingsProblem(value);
  return (
    <Accordion variant="contained" chevronPosition="left">
      <Accordion.Item value="advanced">
        <Accordion.Control>Advanced Configurations</Accordion.Control>
        <Accordion.Panel>
          <Stack>
            <Checkbox.Group
              label="Grant types"
              description="How the consumer may get tokens from the token service"
              value={value.grantTypes}
              onChange={(grantTypes) => onChange({ ...value, grantTypes: GRANT_TYPES.map((g) => g.value).filter((g) => grantTypes.includes(g)) })}
              error={grantTypesProblem(value) ?? fieldError(error, 'grantTypes')}
            >
              <Group mt="xs">
                {GRANT_TYPES.map((g) => (
                  <Checkbox key={g.value} value={g.value} label={g.label} disabled={readOnly} />
                ))}
              </Group>
            </Checkbox.Group>
            <TagsInput
              label="Allowed scopes"
              description="Scopes the consumer may ask for; press Enter after each. Empty: none."
              value={value.scopes}
              onChange={(scopes) => onChange({ ...value, scopes })}
              disabled={readOnly}
              splitChars={[' ', ',']}
              clearable={!readOnly}
              error={fieldError(error, 'scopes')}
            />
            <NumberInput
              label="Token lifetime (seconds)"
              description={`Between ${TOKEN_LIFETIME.min} and ${TOKEN_LIFETIME.max}`}
              value={lifetimeText}
              onChange={(v) => {
                setLifetimeText(v);
                onChange({ ...value, tokenLifetime: typeof v === 'number' ? v : Number.NaN });
              }}
              min={TOKEN_LIFETIME.min}
              max={TOKEN_LIFETIME.max}
              allowDecimal={false}
              allowNegative={false}
              disabled={readOnly}
              w={220}
              error={lifetimeProblem(value) ?? fieldError(error, 'tokenLifetime')}
            />
            {onSave && !readOnly && (
              <Group>
                <Button onClick={onSave} loading={saving} disabled={!!problem || !dirty}>
                  Save
                </Button>
                {!dirty && (
                  <Text size="sm" c="dimmed">
                    No unsaved changes
                  </Text>
                )}
              </Group>
            )}
          </Stack>
        </Accordion.Panel>
      </Accordion.Item>
    </Accordion>
  );
}
