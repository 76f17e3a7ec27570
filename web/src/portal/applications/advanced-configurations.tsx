import { useEffect, useState } from 'react';
import { Accordion, Checkbox, Group, NumberInput, Stack, TagsInput } from '@mantine/core';
import { fieldError } from '../../ui/api-error';
import { GRANT_TYPES, TOKEN_LIFETIME } from '../queries';

export interface CredentialSettings {
  grantTypes: string[];
  scopes: string[];
  tokenLifetime: number;
}

export const DEFAULT_SETTINGS: CredentialSettings = { grantTypes: ['client_credentials'], scopes: [], tokenLifetime: TOKEN_LIFETIME.default };

export const grantTypesProblem = (s: CredentialSettings) => (s.grantTypes.length === 0 ? 'Enable at least one grant type' : undefined);
export const lifetimeProblem = (s: CredentialSettings) =>
  !Number.isInteger(s.tokenLifetime) || s.tokenLifetime < TOKEN_LIFETIME.min || s.tokenLifetime > TOKEN_LIFETIME.max
    ? `A whole number of seconds between ${TOKEN_LIFETIME.min} and ${TOKEN_LIFETIME.max}`
    : undefined;

/** Advanced Configurations of keys: grant types (Token Exchange among them), allowed scopes, token lifetime. */
export function AdvancedConfigurations({
  value,
  onChange,
  error,
  readOnly = false,
  defaultOpen = false,
  children,
}: {
  value: CredentialSettings;
  onChange: (value: CredentialSettings) => void;
  error: unknown;
  readOnly?: boolean;
  defaultOpen?: boolean;
  children?: React.ReactNode;
}) {
  const [lifetimeText, setLifetimeText] = useState<string | number>(value.tokenLifetime);
  // A lifetime set from outside (saved keys reloaded) replaces what the field shows.
  useEffect(() => {
    if (Number.isInteger(value.tokenLifetime)) setLifetimeText((shown) => (Number(shown) === value.tokenLifetime ? shown : value.tokenLifetime));
  }, [value.tokenLifetime]);
  return (
    <Accordion variant="contained" chevronPosition="left" defaultValue={defaultOpen ? 'advanced' : null}>
      <Accordion.Item value="advanced">
        <Accordion.Control>Advanced Configurations</Accordion.Control>
        <Accordion.Panel>
          <Stack>
            <Checkbox.Group
              label="Grant types"
              description="How your client may get tokens: with its own credentials, or by exchanging a token of your identity provider"
              value={value.grantTypes}
              onChange={(grantTypes) => onChange({ ...value, grantTypes: GRANT_TYPES.map((g) => g.value as string).filter((g) => grantTypes.includes(g)) })}
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
              description="Scopes tokens may carry; press Enter after each. Empty: none."
              value={value.scopes}
              onChange={(scopes) => onChange({ ...value, scopes })}
              disabled={readOnly}
              splitChars={[' ', ',']}
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
              w={240}
              error={lifetimeProblem(value) ?? fieldError(error, 'tokenLifetime')}
            />
            {children}
          </Stack>
        </Accordion.Panel>
      </Accordion.Item>
    </Accordion>
  );
}
