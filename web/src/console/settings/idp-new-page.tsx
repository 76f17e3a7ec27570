import { useState } from 'react';
import { Button, Group, Paper, Stack, Text, TextInput, Textarea, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useOrgHandle } from '../../orgs/orgs';
import { Notice } from '../../ui/notice';
import { ApiErrorAlert, fieldError } from '../../ui/api-error';
import { nameProblem } from '../../ui/name-check';
import { Page } from '../../ui/page';
import { AdminsOnly, WithOrg } from './admin-only';
import { AudiencesInput, EndpointFields, isTemplate, IssuerOverride, TenantIdsInput, type Endpoints } from './idp-fields';
import { IdpKindCards } from './idp-kind-cards';
import { keys } from '../query-keys';
import { kindLabel, optional, splitList, WELL_KNOWN_EXAMPLES, type Discovery, type IdpKind } from './idp-queries';

const EMPTY: Endpoints = { issuer: '', tokenEndpoint: '', jwksUri: '' };

/** + Add Provider: choose a kind, give the details, discover the endpoints (Next), then Add. */
export function IdpNewPage() {
  const [kind, setKind] = useState<IdpKind | null>(null);
  return (
    <Page title="Add an identity provider" description="Connect your organization's identity provider so its tokens are accepted.">
      <WithOrg>
        {(current) =>
          !current.isAdmin ? (
            <AdminsOnly>Only admins of this organization can add identity providers.</AdminsOnly>
          ) : kind ? (
            <IdpForm kind={kind} onChangeKind={() => setKind(null)} />
          ) : (
            <Stack>
              <Title order={3} size="h4">
                Choose the kind of provider
              </Title>
              <IdpKindCards onChoose={setKind} />
            </Stack>
          )
        }
      </WithOrg>
    </Page>
  );
}

function IdpForm({ kind, onChangeKind }: { kind: IdpKind; onChangeKind: () => void }) {
  const org = useOrgHandle();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [audiences, setAudiences] = useState<string[]>([]);
  const [wellKnownUrl, setWellKnownUrl] = useState('');
  const [checked, setChecked] = useState(false);
  // The endpoints step: open after discovery (filled in) or when entered by hand.
  const [discovered, setDiscovered] = useState<Discovery | null>(null);
  const [manual, setManual] = useState(false);
  const [endpoints, setEndpoints] = useState<Endpoints>(EMPTY);
  const [issuerOverride, setIssuerOverride] = useState(false);
  const [tenants, setTenants] = useState<string[]>([]);

  const nameIssue = !name ? (checked ? 'Required' : undefined) : nameProblem(name);
  const audienceProblem = checked && splitList(audiences).length === 0 ? 'Give at least one audience' : undefined;
  const urlProblem = checked && !wellKnownUrl.trim() ? 'Required (or enter the endpoints manually below)' : undefined;
  const detailsOk = !!name && !nameProblem(name) && splitList(audiences).length > 0;

  const discover = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/orgs/{org}/identity-providers/discover', { params: { path: { org } }, body: { wellKnownUrl: wellKnownUrl.trim() } })),
    onSuccess: (d) => {
      setDiscovered(d);
      setManual(false);
      setEndpoints({ issuer: d.issuer, tokenEndpoint: d.tokenEndpoint ?? '', jwksUri: d.jwksUri });
      setIssuerOverride(false);
    },
  });

  const add = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/orgs/{org}/identity-providers', {
          params: { path: { org } },
          body: {
            name,
            kind,
            description: description.trim() || undefined,
            audiences: splitList(audiences),
            wellKnownUrl: optional(wellKnownUrl),
            issuer: optional(endpoints.issuer),
            tokenEndpoint: optional(endpoints.tokenEndpoint),
            jwksUri: optional(endpoints.jwksUri),
            ...(issuerOverride && { issuerOverride: true }),
            ...(isTemplate(endpoints.issuer) && { allowedTenantIds: splitList(tenants) }),
          },
        }),
      ),
    onSuccess: async (idp) => {
      queryClient.setQueryData(keys.identityProvider(org, idp.name), idp);
      await queryClient.invalidateQueries({ queryKey: keys.identityProviders(org), exact: true });
      notifications.show({ color: 'green', message: `Identity provider "${idp.name}" added` });
      navigate(`/console/o/${org}/settings/identity-providers/${idp.name}`);
    },
  });

  const stepOpen = discovered !== null || manual;
  // Changing the well-known URL makes the discovered endpoints stale: discover again.
  const changeUrl = (value: string) => {
    setWellKnownUrl(value);
    if (discovered) {
      setDiscovered(null);
      setEndpoints(EMPTY);
    }
    discover.reset();
  };
  const issuerDiffers = discovered !== null && (!discovered.issuerMatches || endpoints.issuer.trim() !== discovered.issuer);
  const error = add.error ?? discover.error;

  return (
    <Stack gap="lg" maw={720}>
      <Group gap="sm">
        <Text>
          Kind: <b>{kindLabel(kind)}</b>
        </Text>
        <Button variant="subtle" size="compact-sm" onClick={onChangeKind}>
          Change kind
        </Button>
      </Group>
      <Paper withBorder p="lg">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setChecked(true);
            if (detailsOk && wellKnownUrl.trim()) discover.mutate();
          }}
        >
          <Stack>
            <Title order={3} size="h4">
              Details
            </Title>
            <TextInput
              label="Name"
              description="Lowercase letters, digits and hyphens; it cannot be changed later"
              placeholder="okta-prod"
              required
              autoFocus
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              error={nameIssue ?? fieldError(add.error, 'name')}
            />
            <Textarea label="Description" autosize minRows={1} maxRows={4} value={description} onChange={(e) => setDescription(e.currentTarget.value)} error={fieldError(add.error, 'description')} />
            <AudiencesInput value={audiences} onChange={setAudiences} error={audienceProblem ?? add.error} />
            <TextInput
              label="Well-Known URL"
              description="The provider's OpenID Connect discovery document"
              placeholder={WELL_KNOWN_EXAMPLES[kind]}
              required={!manual}
              type="url"
              value={wellKnownUrl}
              onChange={(e) => changeUrl(e.currentTarget.value)}
              error={(manual ? undefined : urlProblem) ?? fieldError(discover.error ?? add.error, 'wellKnownUrl')}
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
            />
            {discover.error !== null && <ApiErrorAlert error={discover.error} title="Discovery failed" />}
            {!stepOpen && (
              <Group>
                <Button type="submit" loading={discover.isPending}>
                  Next
                </Button>
                <Button variant="subtle" onClick={() => setManual(true)}>
                  Enter endpoints manually
                </Button>
              </Group>
            )}
          </Stack>
        </form>
      </Paper>

      {stepOpen && (
        <Paper withBorder p="lg">
          <form
            onSubmit={(e) => {
              e.preventDefault();
              setChecked(true);
              if (detailsOk) add.mutate();
            }}
          >
            <Stack>
              <Title order={3} size="h4">
                Endpoints
              </Title>
              <Text size="sm" c="dimmed">
                {discovered ? 'Found in the discovery document; change them only if your provider needs it.' : 'Without a discovery document, give the issuer and the JWKS endpoint.'}
              </Text>
              {discovered && !discovered.issuerMatches && (
                <Notice color="yellow" title="The issuer does not match the Well-Known URL">
                  The discovery document names issuer <code>{discovered.issuer}</code>
                  {discovered.expectedIssuer ? (
                    <>
                      , but the Well-Known URL stands for <code>{discovered.expectedIssuer}</code>
                    </>
                  ) : (
                    ', but the Well-Known URL does not have the standard form to check it against'
                  )}
                  . Accept it only if your provider documents this.
                </Notice>
              )}
              <EndpointFields value={endpoints} onChange={setEndpoints} error={add.error} />
              {isTemplate(endpoints.issuer) && <TenantIdsInput value={tenants} onChange={setTenants} error={add.error} />}
              {issuerDiffers && <IssuerOverride checked={issuerOverride} onChange={setIssuerOverride} />}
              {add.error !== null && <ApiErrorAlert error={add.error} title="The identity provider was not added" />}
              <Group>
                <Button type="submit" loading={add.isPending}>
                  Add
                </Button>
                {manual && (
                  <Button variant="subtle" onClick={() => setManual(false)}>
                    Back to discovery
                  </Button>
                )}
              </Group>
            </Stack>
          </form>
        </Paper>
      )}
      {error === null && !stepOpen && (
        <Text size="sm" c="dimmed">
          Next fetches the discovery document and fills in the issuer, token endpoint and JWKS endpoint. Nothing is saved until you press Add.
        </Text>
      )}
    </Stack>
  );
}
