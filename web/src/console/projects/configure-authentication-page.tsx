import { useEffect, useState } from 'react';
import { Alert, Anchor, Badge, Group, Loader, Stack, Tabs, Text } from '@mantine/core';
import { Link, useParams } from 'react-router';
import { useOrgHandle } from '../../orgs/orgs';
import { ApiErrorAlert } from '../../ui/api-error';
import { Notice } from '../../ui/notice';
import { Page } from '../../ui/page';
import { PageLoader } from '../../ui/page-state';
import { BUILTIN_PROVIDER } from './auth-status';
import { BuiltinProviderPanel } from './builtin-provider-panel';
import { Crumbs } from './crumbs';
import { ExternalProviderPanel } from './external-provider-panel';
import { IDP_KIND_LABELS, useComponentOverview, useConsumerApplication, useIdentityProviders, useProject } from './queries';
import { useCanChangeKeys } from './use-can-change-keys';

const BUILTIN = 'builtin';

/**
 * Configure one environment's authentication of an external consumer: the
 * Identity Provider list (the built-in provider first, then the
 * organization's providers) and the chosen provider's keys.
 */
export function ConfigureAuthenticationPage() {
  const { project = '', component = '', env = '' } = useParams();
  // A fresh page (and provider selection) per environment.
  return <ConfigureAuthentication key={`${project}/${component}/${env}`} />;
}

function ConfigureAuthentication() {
  const org = useOrgHandle();
  const { project = '', component = '', env = '' } = useParams();
  const projectQuery = useProject(org, project);
  const overview = useComponentOverview(org, project, component);
  const application = useConsumerApplication(org, project, component);
  const providers = useIdentityProviders(org);
  const canChange = useCanChangeKeys(application.data);
  const [selected, setSelected] = useState<string | null>(null);
  // The provider in use is selected first; after that the user's choice stays, even when keys are added or removed.
  const initial = application.data?.authentication.find((a) => a.environment === env);
  const initialTab = initial ? (initial.kind === 'external' && initial.idpId ? initial.idpId : BUILTIN) : null;
  useEffect(() => {
    if (selected === null && initialTab) setSelected(initialTab);
  }, [selected, initialTab]);

  const trail = [
    { label: 'Projects', to: 'projects' },
    { label: projectQuery.data?.displayName ?? project, to: `projects/${project}` },
    { label: overview.data?.displayName ?? component, to: `projects/${project}/consumers/${component}` },
  ];
  const failed = overview.error ?? application.error;
  if (failed)
    return (
      <Stack>
        <Crumbs trail={trail} current={env} />
        <ApiErrorAlert error={failed} title="Could not load: authentication configuration" />
      </Stack>
    );
  const c = overview.data;
  const app = application.data;
  if (!c || !app) return <PageLoader label="authentication configuration" />;
  const environment = c.environments.find((e) => e.name === env);
  if (!environment) {
    return (
      <Stack>
        <Crumbs trail={trail} current={env} />
        <Alert color="red" title="Environment not found" role="alert">
          This organization has no environment named "{env}".
        </Alert>
      </Stack>
    );
  }
  const auth = app.authentication.find((a) => a.environment === env);
  const list = providers.data ?? [];
  const current = auth?.kind === 'external' ? list.find((p) => p.id === auth.idpId) : undefined;
  const inUse = auth?.kind === 'external' ? auth.idpId : auth?.keysGenerated ? BUILTIN : null;
  const tab = selected ?? initialTab ?? BUILTIN;
  const common = { project, component, applicationId: app.id, environment, auth, canChange };

  return (
    <Stack gap="md">
      <Crumbs trail={trail} current={`${environment.displayName} authentication`} />
      <Page
        title={`${c.displayName}: ${environment.displayName}`}
        documentTitle={[`${environment.displayName} authentication`, c.displayName, projectQuery.data?.displayName ?? project]}
        description={`Choose the identity provider this consumer gets its tokens from in ${environment.displayName}, and set up its keys there.`}
      >
        {canChange === false && <Notice color="gray">You can see this configuration; only organization admins and the member who created this consumer can change its keys.</Notice>}
        <Tabs orientation="vertical" value={tab} onChange={setSelected} variant="pills" keepMounted={false}>
          <Stack gap="xs" miw={240}>
            <Text fw={600} id="identity-provider-heading">
              Identity Provider
            </Text>
            <Tabs.List aria-labelledby="identity-provider-heading">
              <Tabs.Tab value={BUILTIN}>
                <ProviderLabel name={BUILTIN_PROVIDER} kind="Token service" inUse={inUse === BUILTIN} />
              </Tabs.Tab>
              {list.map((p) => (
                <Tabs.Tab key={p.id} value={p.id}>
                  <ProviderLabel name={p.name} kind={IDP_KIND_LABELS[p.kind] ?? p.kind} inUse={inUse === p.id} />
                </Tabs.Tab>
              ))}
            </Tabs.List>
            {providers.isPending && (
              <Group gap="xs">
                <Loader size="xs" aria-label="Loading identity providers" />
                <Text size="sm" c="dimmed">
                  Identity providers…
                </Text>
              </Group>
            )}
            {providers.isError && <ApiErrorAlert error={providers.error} title="Could not load: identity providers" />}
            {providers.isSuccess && list.length === 0 && (
              <Text size="sm" c="dimmed" maw={240}>
                The organization has no identity providers of its own. Admins add them under{' '}
                <Anchor component={Link} to={`/console/o/${org}/settings/identity-providers`} size="sm">
                  API Management
                </Anchor>
                .
              </Text>
            )}
          </Stack>
          <Tabs.Panel value={BUILTIN} pl="xl">
            <BuiltinProviderPanel {...common} externalProvider={auth?.kind === 'external' ? (current?.name ?? 'an external provider') : undefined} />
          </Tabs.Panel>
          {list.map((p) => (
            <Tabs.Panel key={p.id} value={p.id} pl="xl">
              <ExternalProviderPanel {...common} provider={p} currentProvider={current && current.id !== p.id ? current.name : undefined} />
            </Tabs.Panel>
          ))}
        </Tabs>
      </Page>
    </Stack>
  );
}

function ProviderLabel({ name, kind, inUse }: { name: string; kind: string; inUse: boolean }) {
  return (
    <Group gap="xs" wrap="nowrap" justify="space-between">
      <div style={{ textAlign: 'left' }}>
        <Text size="sm" fw={500}>
          {name}
        </Text>
        <Text size="xs" opacity={0.75}>
          {kind}
        </Text>
      </div>
      {inUse && (
        <Badge size="xs" variant="filled" color="green">
          In use
        </Badge>
      )}
    </Group>
  );
}
