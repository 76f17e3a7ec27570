import { useState } from 'react';
import { Button, Group, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { useOrgHandle } from '../../orgs/orgs';
import { ApiErrorAlert } from '../../ui/api-error';
import { CopyValue } from '../../ui/copy-value';
import { Notice } from '../../ui/notice';
import { useOneTimeSecret } from '../../ui/use-one-time-secret';
import { AdvancedConfigurations, DEFAULT_SETTINGS, settingsProblem, type CredentialSettings } from './advanced-configurations';
import { keys } from '../query-keys';
import { useConnections, usePublishedApis } from '../apis/queries';
import { RequiredScopes } from '../apis/required-scopes';
import type { Authentication } from './queries';
import { RegenerateSecretModal } from './regenerate-secret-modal';
import { SecretModal } from './secret-modal';

const sameSettings = (a: CredentialSettings, b: CredentialSettings) => a.tokenLifetime === b.tokenLifetime && a.grantTypes.join() === b.grantTypes.join() && a.scopes.join(' ') === b.scopes.join(' ');

/**
 * The built-in identity provider (the platform's token service) for one
 * environment: Generate Keys, or, once keys exist, the consumer key,
 * Regenerate Secret and the Advanced Configurations.
 */
export function BuiltinProviderPanel({
  project,
  component,
  applicationId,
  environment,
  auth,
  externalProvider,
  canChange,
}: {
  project: string;
  component: string;
  applicationId: string;
  environment: { name: string; displayName: string };
  auth: Authentication | undefined;
  /** The provider whose keys this environment uses instead, if any. */
  externalProvider: string | undefined;
  /** Undefined while not known yet: neither the actions nor the read-only text. */
  canChange: boolean | undefined;
}) {
  const org = useOrgHandle();
  const queryClient = useQueryClient();
  const path = { org, app: applicationId, env: environment.name };
  const saved: CredentialSettings = auth?.keysGenerated ? { grantTypes: auth.grantTypes, scopes: auth.scopes, tokenLifetime: auth.tokenLifetime } : DEFAULT_SETTINGS;
  const [settings, setSettings] = useState<CredentialSettings>(saved);
  const [confirming, setConfirming] = useState(false);
  // New or changed keys show in the consumer's pages and in the project's connections (their ConsumerKey).
  const refresh = () =>
    Promise.all([queryClient.invalidateQueries({ queryKey: keys.component(org, project, component) }), queryClient.invalidateQueries({ queryKey: keys.connections(org, project) })]);
  const connections = useConnections(org, project);
  const published = usePublishedApis(org);
  const connectedApis = (published.data ?? []).filter((a) => connections.data?.some((c) => c.component === component && c.api.id === a.id));

  const generate = useOneTimeSecret({
    mutationFn: () => unwrap(api.POST('/api/v1/orgs/{org}/applications/{app}/credentials/{env}/keys', { params: { path }, body: settings })),
    onSuccess: refresh,
  });
  const regenerate = useOneTimeSecret({
    mutationFn: (gracePeriod: number) => unwrap(api.POST('/api/v1/orgs/{org}/applications/{app}/credentials/{env}/secret', { params: { path }, body: { gracePeriod } })),
    onSuccess: async () => {
      setConfirming(false);
      await refresh();
    },
  });
  const save = useMutation({
    mutationFn: () => unwrap(api.PATCH('/api/v1/orgs/{org}/applications/{app}/credentials/{env}', { params: { path }, body: settings })),
    onSuccess: async (updated) => {
      setSettings({ grantTypes: updated.grantTypes, scopes: updated.scopes, tokenLifetime: updated.tokenLifetime });
      await refresh();
    },
  });
  const revealed = generate.data ?? regenerate.data;
  const closeSecret = () => {
    // Drops the secret from memory and from the mutation cache: it is never shown again.
    generate.forget();
    regenerate.forget();
  };
  const previousUntil = auth?.previousSecretExpiresAt && Date.parse(auth.previousSecretExpiresAt) > Date.now() ? new Date(auth.previousSecretExpiresAt) : undefined;

  return (
    <Stack>
      <div>
        <Title order={3} size="h4">
          Built-in
        </Title>
        <Text size="sm" c="dimmed">
          The platform's token service issues the consumer's tokens for a consumer key and secret (OAuth 2.0 client credentials).
        </Text>
      </div>
      {externalProvider ? (
        <Notice title={`${environment.displayName} uses keys from ${externalProvider}`}>
          A consumer uses either built-in or external keys in an environment. To generate built-in keys, first remove the keys in the {externalProvider} tab.
        </Notice>
      ) : auth?.keysGenerated ? (
        <Stack>
          <CopyValue label="Consumer Key" value={auth.clientId ?? ''} />
          <Text size="sm">
            <strong>Consumer Secret:</strong> shown only once, when it was made. If it is lost, regenerate it.
          </Text>
          {previousUntil && <Notice color="yellow">The previous secret still works until {previousUntil.toLocaleString()}.</Notice>}
          {auth.tokenEndpoint && <CopyValue label="Token Endpoint" value={auth.tokenEndpoint} />}
          {canChange && (
            <Group>
              <Button
                color="orange"
                variant="light"
                onClick={() => {
                  regenerate.forget();
                  setConfirming(true);
                }}
              >
                Regenerate Secret
              </Button>
            </Group>
          )}
        </Stack>
      ) : (
        <Stack>
          <Text>No keys yet for {environment.displayName}.</Text>
          {canChange ? (
            <Group>
              <Button onClick={() => generate.mutate()} loading={generate.isPending} disabled={!!settingsProblem(settings)}>
                Generate Keys
              </Button>
            </Group>
          ) : (
            canChange === false && (
              <Text size="sm" c="dimmed">
                Only organization admins and the member who created this consumer can generate its keys.
              </Text>
            )
          )}
          <ApiErrorAlert error={generate.error} title="The keys were not generated" />
        </Stack>
      )}
      {!externalProvider && (auth?.keysGenerated || canChange) && (
        <>
          <RequiredScopes apis={connectedApis} />
          <AdvancedConfigurations
            value={settings}
            onChange={setSettings}
            error={auth?.keysGenerated ? save.error : generate.error}
            readOnly={!canChange}
            {...(auth?.keysGenerated && { onSave: () => save.mutate(), saving: save.isPending, dirty: !sameSettings(settings, saved) })}
          />
          {save.isSuccess && sameSettings(settings, saved) && (
            <Text size="sm" c="green.8" role="status">
              Advanced Configurations saved.
            </Text>
          )}
          <ApiErrorAlert error={save.error} title="The Advanced Configurations were not saved" />
        </>
      )}
      <RegenerateSecretModal opened={confirming} environment={environment.displayName} mutation={regenerate} onConfirm={(grace) => regenerate.mutate(grace)} onClose={() => setConfirming(false)} />
      <SecretModal
        keys={revealed && { clientId: revealed.clientId ?? '', clientSecret: revealed.clientSecret, tokenEndpoint: revealed.tokenEndpoint }}
        environment={environment.displayName}
        regenerated={!!regenerate.data}
        onClose={closeSecret}
      />
    </Stack>
  );
}
