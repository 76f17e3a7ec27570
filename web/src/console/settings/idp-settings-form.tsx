import { useState } from 'react';
import { Button, Group, NumberInput, Paper, Select, SimpleGrid, Stack, TagsInput, Text, TextInput, Textarea, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { CLOCK_SKEW, MAX_TOKEN_AGE, TOKEN_TYPINGS } from '../../../../src/shared/idp-keys/presets';
import { api, unwrap, type paths } from '../../api/client';
import { useOrgHandle } from '../../orgs/orgs';
import { ApiErrorAlert, fieldError } from '../../ui/api-error';
import { AudiencesInput, EndpointFields, isTemplate, IssuerOverride, TenantIdsInput, type Endpoints } from './idp-fields';
import { keys } from '../query-keys';
import { KINDS, splitList, type IdentityProvider, type IdpKind } from './idp-queries';

type Patch = NonNullable<paths['/api/v1/orgs/{org}/identity-providers/{idp}']['patch']['requestBody']>['content']['application/json'];
type TokenTyping = (typeof TOKEN_TYPINGS)[number];

const TYPING_LABELS: Record<TokenTyping, string> = {
  'at+jwt': 'Header typ: at+jwt (RFC 9068)',
  claim: 'Claim typ: Bearer / ID (Keycloak)',
  none: 'Not marked',
};

interface Values {
  kind: string;
  description: string;
  audiences: string[];
  wellKnownUrl: string;
  endpoints: Endpoints;
  allowedTenantIds: string[];
  clientIdClaims: string[];
  subjectClaim: string;
  tokenTyping: string;
  clockSkew: number | string;
  maxTokenAge: number | string;
}

const valuesOf = (idp: IdentityProvider): Values => ({
  kind: idp.kind,
  description: idp.description,
  audiences: idp.audiences,
  wellKnownUrl: idp.wellKnownUrl ?? '',
  endpoints: { issuer: idp.issuer, tokenEndpoint: idp.tokenEndpoint ?? '', jwksUri: idp.jwksUri },
  allowedTenantIds: idp.allowedTenantIds,
  clientIdClaims: idp.clientIdClaims,
  subjectClaim: idp.subjectClaim,
  tokenTyping: idp.tokenTyping,
  clockSkew: idp.clockSkew,
  maxTokenAge: idp.maxTokenAge,
});

const same = (a: string[], b: string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Only what changed: a PATCH keeps every field it does not name (a new Well-Known URL is discovered again). */
function patchOf(before: Values, after: Values, issuerOverride: boolean): Patch {
  const patch: Patch = {};
  if (after.kind !== before.kind) patch.kind = after.kind as IdpKind;
  if (after.description !== before.description) patch.description = after.description.trim();
  if (!same(splitList(after.audiences), before.audiences)) patch.audiences = splitList(after.audiences);
  if (after.wellKnownUrl.trim() !== before.wellKnownUrl && after.wellKnownUrl.trim()) patch.wellKnownUrl = after.wellKnownUrl.trim();
  if (after.endpoints.issuer.trim() !== before.endpoints.issuer) patch.issuer = after.endpoints.issuer.trim();
  if (after.endpoints.tokenEndpoint.trim() !== before.endpoints.tokenEndpoint && after.endpoints.tokenEndpoint.trim()) patch.tokenEndpoint = after.endpoints.tokenEndpoint.trim();
  if (after.endpoints.jwksUri.trim() !== before.endpoints.jwksUri) patch.jwksUri = after.endpoints.jwksUri.trim();
  if (!same(splitList(after.allowedTenantIds), before.allowedTenantIds)) patch.allowedTenantIds = splitList(after.allowedTenantIds);
  if (!same(splitList(after.clientIdClaims), before.clientIdClaims)) patch.clientIdClaims = splitList(after.clientIdClaims);
  if (after.subjectClaim.trim() !== before.subjectClaim) patch.subjectClaim = after.subjectClaim.trim();
  if (after.tokenTyping !== before.tokenTyping) patch.tokenTyping = after.tokenTyping as TokenTyping;
  if (Number(after.clockSkew) !== before.clockSkew) patch.clockSkew = Number(after.clockSkew);
  if (Number(after.maxTokenAge) !== before.maxTokenAge) patch.maxTokenAge = Number(after.maxTokenAge);
  if (issuerOverride && (patch.wellKnownUrl || patch.issuer)) patch.issuerOverride = true;
  return patch;
}

/** A provider's settings: editable for admins (the name never), read-only for developers. */
export function IdpSettingsForm({ idp, readOnly }: { idp: IdentityProvider; readOnly: boolean }) {
  const org = useOrgHandle();
  const queryClient = useQueryClient();
  const before = valuesOf(idp);
  const [values, setValues] = useState<Values>(before);
  const [issuerOverride, setIssuerOverride] = useState(false);
  const set =
    <K extends keyof Values>(key: K) =>
    (value: Values[K]) =>
      setValues((v) => ({ ...v, [key]: value }));
  const patch = patchOf(before, values, issuerOverride);
  const dirty = Object.keys(patch).some((k) => k !== 'issuerOverride');

  const save = useMutation({
    mutationFn: () => unwrap(api.PATCH('/api/v1/orgs/{org}/identity-providers/{idp}', { params: { path: { org, idp: idp.name } }, body: patch })),
    onSuccess: async (updated) => {
      queryClient.setQueryData(keys.identityProvider(org, updated.name), updated);
      setValues(valuesOf(updated));
      setIssuerOverride(false);
      await queryClient.invalidateQueries({ queryKey: keys.identityProviders(org), exact: true });
      notifications.show({ color: 'green', message: `Identity provider "${updated.name}" saved` });
    },
  });
  const e = save.error;
  const showOverride = !readOnly && (fieldError(e, 'issuer') !== undefined || (values.wellKnownUrl.trim() !== before.wellKnownUrl && values.endpoints.issuer.trim() !== before.endpoints.issuer));

  return (
    <Paper withBorder p="lg">
      <form
        aria-label="Provider settings"
        onSubmit={(ev) => {
          ev.preventDefault();
          if (dirty) save.mutate();
        }}
      >
        <Stack>
          <Title order={3} size="h4">
            Settings
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label="Name" value={idp.name} readOnly description="The name cannot be changed" />
            <Select
              label="Kind"
              data={KINDS.map((k) => ({ value: k.kind, label: k.label }))}
              value={values.kind}
              onChange={(v) => v && set('kind')(v)}
              readOnly={readOnly}
              allowDeselect={false}
              error={fieldError(e, 'kind')}
            />
          </SimpleGrid>
          <Textarea
            label="Description"
            autosize
            minRows={1}
            maxRows={4}
            readOnly={readOnly}
            value={values.description}
            onChange={(ev) => set('description')(ev.currentTarget.value)}
            error={fieldError(e, 'description')}
          />
          <AudiencesInput value={values.audiences} onChange={set('audiences')} error={e} readOnly={readOnly} />
          <TextInput
            label="Well-Known URL"
            description={readOnly ? undefined : 'A new URL is discovered again when you save: the endpoints you did not change follow it'}
            readOnly={readOnly}
            value={values.wellKnownUrl}
            onChange={(ev) => set('wellKnownUrl')(ev.currentTarget.value)}
            error={fieldError(e, 'wellKnownUrl')}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
          />
          <EndpointFields value={values.endpoints} onChange={set('endpoints')} error={e} readOnly={readOnly} />
          {(isTemplate(values.endpoints.issuer) || values.allowedTenantIds.length > 0) && (
            <TenantIdsInput value={values.allowedTenantIds} onChange={set('allowedTenantIds')} error={e} readOnly={readOnly} />
          )}
          {showOverride && <IssuerOverride checked={issuerOverride} onChange={setIssuerOverride} />}

          <Title order={4} size="h5" mt="sm">
            Token rules
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TagsInput
              label="Client ID claims"
              description={readOnly ? undefined : 'The first present one carries the client ID'}
              value={values.clientIdClaims}
              onChange={set('clientIdClaims')}
              readOnly={readOnly}
              acceptValueOnBlur
              splitChars={[',', ' ']}
              error={fieldError(e, 'clientIdClaims')}
            />
            <TextInput label="Subject claim" readOnly={readOnly} value={values.subjectClaim} onChange={(ev) => set('subjectClaim')(ev.currentTarget.value)} error={fieldError(e, 'subjectClaim')} />
            <Select
              label="Token type marking"
              data={TOKEN_TYPINGS.map((t) => ({ value: t, label: TYPING_LABELS[t] }))}
              value={values.tokenTyping}
              onChange={(v) => v && set('tokenTyping')(v)}
              readOnly={readOnly}
              allowDeselect={false}
              error={fieldError(e, 'tokenTyping')}
            />
            <NumberInput
              label="Clock skew (seconds)"
              min={0}
              max={CLOCK_SKEW.max}
              allowDecimal={false}
              readOnly={readOnly}
              value={values.clockSkew}
              onChange={set('clockSkew')}
              error={fieldError(e, 'clockSkew')}
            />
            <NumberInput
              label="Maximum token age (seconds)"
              min={MAX_TOKEN_AGE.min}
              max={MAX_TOKEN_AGE.max}
              allowDecimal={false}
              readOnly={readOnly}
              value={values.maxTokenAge}
              onChange={set('maxTokenAge')}
              error={fieldError(e, 'maxTokenAge')}
            />
          </SimpleGrid>
          {e !== null && <ApiErrorAlert error={e} title="The changes were not saved" />}
          {!readOnly && (
            <Group>
              <Button type="submit" loading={save.isPending} disabled={!dirty}>
                Save
              </Button>
              <Button
                variant="default"
                disabled={!dirty}
                onClick={() => {
                  setValues(before);
                  setIssuerOverride(false);
                  save.reset();
                }}
              >
                Discard changes
              </Button>
              {!dirty && (
                <Text size="sm" c="dimmed">
                  No unsaved changes
                </Text>
              )}
            </Group>
          )}
        </Stack>
      </form>
    </Paper>
  );
}
