import { useEffect, useState } from 'react';
import { Alert, Badge, Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { api, unwrap } from '../../api/client';
import { ApiErrorAlert } from '../../ui/api-error';
import { CopyValue } from '../../ui/copy-value';
import { useOneTimeSecret } from '../../ui/use-one-time-secret';
import { applicationKey, applicationsKey, GRANT_TYPES, keysKey, type Application, type Keys, type KeysWithSecret } from '../queries';
import { CodeBlock } from '../ui/code-block';
import { AdvancedConfigurations, DEFAULT_SETTINGS, grantTypesProblem, lifetimeProblem, type CredentialSettings } from './advanced-configurations';
import { RegenerateSecretModal } from './regenerate-secret-modal';
import { SecretModal } from './secret-modal';
import { TestTokenForm } from './test-token-form';

/** POSIX shell single-quoting. */
const shq = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

const clientCredentialsCurl = (tokenEndpoint: string, consumerKey: string) =>
  [
    `curl -sS -X POST ${shq(tokenEndpoint)}`,
    `  -u "${consumerKey}:\${CONSUMER_SECRET}"`,
    `  -H 'Content-Type: application/x-www-form-urlencoded'`,
    `  --data-urlencode 'grant_type=client_credentials'`,
  ].join(' \\\n');

const grantLabel = (g: string) => GRANT_TYPES.find((t) => t.value === g)?.label ?? g;

/** OAuth2 Tokens of one environment: Generate Credentials, then the consumer key, settings, Regenerate Secret, a curl, and Generate Test Token. */
export function OAuth2Tokens({ org, app, keys }: { org: string; app: Application; keys: Keys }) {
  const queryClient = useQueryClient();
  const [revealed, setRevealed] = useState<{ keys: KeysWithSecret; regenerated: boolean }>();
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: keysKey(org, app.id) });
    await queryClient.invalidateQueries({ queryKey: applicationKey(org, app.id), exact: true });
    await queryClient.invalidateQueries({ queryKey: applicationsKey(org), exact: true });
  };
  return (
    <>
      {keys.kind === null && (
        <GenerateCredentials
          org={org}
          app={app}
          keys={keys}
          onGenerated={async (k) => {
            setRevealed({ keys: k, regenerated: false });
            await refresh();
          }}
        />
      )}
      {keys.kind === 'external' && (
        <Alert color="blue" title="External keys">
          Clients of this application get their tokens from the identity provider {keys.identityProvider} (client ID {keys.externalClientId}) and call the gateway with them directly.
        </Alert>
      )}
      {keys.kind === 'builtin' && (
        <BuiltinKeys
          org={org}
          app={app}
          keys={keys}
          onRegenerated={async (k) => {
            setRevealed({ keys: k, regenerated: true });
            await refresh();
          }}
          onSaved={refresh}
        />
      )}
      <SecretModal keys={revealed?.keys} regenerated={revealed?.regenerated ?? false} onDone={() => setRevealed(undefined)} />
    </>
  );
}

function GenerateCredentials({ org, app, keys, onGenerated }: { org: string; app: Application; keys: Keys; onGenerated: (k: KeysWithSecret) => void }) {
  const [settings, setSettings] = useState<CredentialSettings>(DEFAULT_SETTINGS);
  const generate = useOneTimeSecret({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/orgs/{org}/portal/applications/{app}/keys/{env}', {
          params: { path: { org, app: app.id, env: keys.environment } },
          body: { grantTypes: settings.grantTypes as ('client_credentials' | 'urn:ietf:params:oauth:grant-type:token-exchange')[], scopes: settings.scopes, tokenLifetime: settings.tokenLifetime },
        }),
      ),
    onSuccess: (k) => {
      generate.forget();
      onGenerated(k);
    },
  });
  const problem = grantTypesProblem(settings) ?? lifetimeProblem(settings);
  return (
    <Stack maw={760}>
      <Text>
        No {keys.label.toLowerCase().replace(/ keys$/, '')} keys yet. Generate a consumer key and secret for your client to get tokens from {keys.tokenEndpoint}.
      </Text>
      {app.canManage ? (
        <>
          <AdvancedConfigurations value={settings} onChange={setSettings} error={generate.error} />
          <ApiErrorAlert error={generate.error} title="No credentials were generated" />
          <Group>
            <Button onClick={() => generate.mutate()} loading={generate.isPending} disabled={!!problem}>
              Generate Credentials
            </Button>
          </Group>
        </>
      ) : (
        <Text size="sm" c="dimmed">
          Only the application's owner ({app.owner ?? 'unknown'}) or an admin can generate them.
        </Text>
      )}
    </Stack>
  );
}

function BuiltinKeys({ org, app, keys, onRegenerated, onSaved }: { org: string; app: Application; keys: Keys; onRegenerated: (k: KeysWithSecret) => void; onSaved: () => Promise<void> }) {
  const current: CredentialSettings = { grantTypes: keys.grantTypes, scopes: keys.scopes, tokenLifetime: keys.tokenLifetime ?? DEFAULT_SETTINGS.tokenLifetime };
  const [settings, setSettings] = useState(current);
  const [regenerating, regen] = useDisclosure();
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset the form only when the saved settings change by value, not on every new `current` object.
  useEffect(() => setSettings(current), [keys.grantTypes.join(), keys.scopes.join(), keys.tokenLifetime]);
  const dirty = JSON.stringify(settings) !== JSON.stringify(current);
  const params = { path: { org, app: app.id, env: keys.environment } };
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH('/api/v1/orgs/{org}/portal/applications/{app}/keys/{env}', {
          params,
          body: { grantTypes: settings.grantTypes as ('client_credentials' | 'urn:ietf:params:oauth:grant-type:token-exchange')[], scopes: settings.scopes, tokenLifetime: settings.tokenLifetime },
        }),
      ),
    onSuccess: async () => {
      await onSaved();
      notifications.show({ color: 'green', message: `${keys.label} saved` });
    },
  });
  const regenerate = useOneTimeSecret({
    mutationFn: (gracePeriod: number) => unwrap(api.POST('/api/v1/orgs/{org}/portal/applications/{app}/keys/{env}/regenerate-secret', { params, body: { gracePeriod } })),
    onSuccess: (k) => {
      regen.close();
      regenerate.forget();
      onRegenerated(k);
    },
  });
  const problem = grantTypesProblem(settings) ?? lifetimeProblem(settings);
  return (
    <Stack gap="lg">
      <Paper withBorder p="md" radius="md" component="section" aria-label={keys.label}>
        <Stack>
          <Group justify="space-between">
            <Title order={4}>{keys.label}</Title>
            {app.canManage && (
              <Button variant="light" color="orange" onClick={regen.open}>
                Regenerate Secret
              </Button>
            )}
          </Group>
          <CopyValue label="Consumer Key" value={keys.consumerKey ?? ''} />
          <CopyValue label="Token Endpoint" value={keys.tokenEndpoint} />
          <Group gap={6}>
            <Text size="sm">Grant types:</Text>
            {keys.grantTypes.map((g) => (
              <Badge key={g} variant="light" tt="none">
                {grantLabel(g)}
              </Badge>
            ))}
            <Text size="sm" ml="md">
              Token lifetime: {keys.tokenLifetime} s
            </Text>
          </Group>
          {keys.previousSecretExpiresAt && (
            <Text size="sm" c="dimmed">
              The previous secret works until {new Date(keys.previousSecretExpiresAt).toLocaleString()}.
            </Text>
          )}
          <AdvancedConfigurations value={settings} onChange={setSettings} error={save.error} readOnly={!app.canManage}>
            {app.canManage && (
              <Group>
                <Button onClick={() => save.mutate()} loading={save.isPending} disabled={!dirty || !!problem}>
                  Save
                </Button>
                {!dirty && (
                  <Text size="sm" c="dimmed">
                    No unsaved changes
                  </Text>
                )}
              </Group>
            )}
            <ApiErrorAlert error={save.error} title="The settings were not saved" />
          </AdvancedConfigurations>
        </Stack>
      </Paper>
      {keys.grantTypes.includes('client_credentials') && (
        <Paper withBorder p="md" radius="md" component="section" aria-label="Get a token with curl">
          <CodeBlock label="Client credentials curl" code={clientCredentialsCurl(keys.tokenEndpoint, keys.consumerKey ?? '')} />
          <Text size="xs" c="dimmed" mt={4}>
            Set CONSUMER_SECRET in your shell to the consumer secret first.
          </Text>
        </Paper>
      )}
      {keys.grantTypes.includes('client_credentials') && <TestTokenForm org={org} app={app} keys={keys} />}
      <RegenerateSecretModal
        opened={regenerating}
        label={keys.label}
        onClose={() => {
          regen.close();
          regenerate.forget();
        }}
        onConfirm={(g) => regenerate.mutate(g)}
        mutation={regenerate}
      />
    </Stack>
  );
}
