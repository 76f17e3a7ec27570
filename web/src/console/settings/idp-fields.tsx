import type { ChangeEvent } from 'react';
import { Checkbox, Stack, TagsInput, TextInput } from '@mantine/core';
import { fieldError } from '../../ui/api-error';

const mono = { input: { fontFamily: 'var(--mantine-font-family-monospace)' } };

/** "Allowed Token Audience": one or more; Enter, a comma or leaving the field adds what was typed. */
export function AudiencesInput({ value, onChange, error, readOnly = false }: { value: string[]; onChange?: (value: string[]) => void; error?: unknown; readOnly?: boolean }) {
  return (
    <TagsInput
      label="Allowed Token Audience"
      description={readOnly ? undefined : 'A token is accepted only when its "aud" contains one of these. Press Enter or type a comma to add another.'}
      placeholder={readOnly || value.length ? undefined : 'https://api.example.com'}
      required={!readOnly}
      value={value}
      onChange={onChange}
      readOnly={readOnly}
      acceptValueOnBlur
      splitChars={[',', ' ']}
      clearable={!readOnly}
      error={typeof error === 'string' ? error : fieldError(error, 'audiences')}
    />
  );
}

export interface Endpoints {
  issuer: string;
  tokenEndpoint: string;
  jwksUri: string;
}

/** Issuer, Token Endpoint and JWKS Endpoint: filled by discovery, editable. */
export function EndpointFields({ value, onChange, error, readOnly = false }: { value: Endpoints; onChange?: (value: Endpoints) => void; error?: unknown; readOnly?: boolean }) {
  const set = (field: keyof Endpoints) => (e: ChangeEvent<HTMLInputElement>) => onChange?.({ ...value, [field]: e.currentTarget.value });
  return (
    <Stack gap="sm">
      <TextInput
        label="Issuer"
        description={readOnly ? undefined : 'The "iss" of the tokens. Microsoft multi-tenant: a template with {tenantid}.'}
        required={!readOnly}
        readOnly={readOnly}
        value={value.issuer}
        onChange={set('issuer')}
        error={fieldError(error, 'issuer')}
        styles={mono}
      />
      <TextInput label="Token Endpoint" readOnly={readOnly} value={value.tokenEndpoint} onChange={set('tokenEndpoint')} error={fieldError(error, 'tokenEndpoint')} styles={mono} />
      <TextInput
        label="JWKS Endpoint"
        description={readOnly ? undefined : 'Where the signing keys are fetched from'}
        required={!readOnly}
        readOnly={readOnly}
        value={value.jwksUri}
        onChange={set('jwksUri')}
        error={fieldError(error, 'jwksUri')}
        styles={mono}
      />
    </Stack>
  );
}

/** RFC 8414 §3.3: an issuer that differs from the discovery's is accepted only on purpose. */
export function IssuerOverride({ checked, onChange }: { checked: boolean; onChange: (checked: boolean) => void }) {
  return <Checkbox label="Accept an issuer that differs from the one the Well-Known URL stands for" checked={checked} onChange={(e) => onChange(e.currentTarget.checked)} />;
}

/** Microsoft multi-tenant issuers (`{tenantid}`) accept only these tenants. */
export function TenantIdsInput({ value, onChange, error, readOnly = false }: { value: string[]; onChange?: (value: string[]) => void; error?: unknown; readOnly?: boolean }) {
  return (
    <TagsInput
      label="Allowed tenant IDs"
      description={readOnly ? undefined : 'The tenants whose tokens a {tenantid} issuer accepts'}
      required={!readOnly}
      value={value}
      onChange={onChange}
      readOnly={readOnly}
      acceptValueOnBlur
      splitChars={[',', ' ']}
      error={fieldError(error, 'allowedTenantIds')}
    />
  );
}

export const isTemplate = (issuer: string) => issuer.includes('{tenantid}');
