import { useState } from 'react';
import { Button, Code, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { useOrgHandle } from '../../orgs/orgs';
import { Notice } from '../../ui/notice';
import { ApiErrorAlert, fieldError } from '../../ui/api-error';
import { ConfirmDialog } from '../../ui/confirm-dialog';
import { CopyValue } from '../../ui/copy-value';
import { keys } from '../query-keys';
import { IDP_KIND_LABELS, type Authentication, type IdentityProvider } from './queries';

/** A client ID as the API accepts it: printable ASCII without spaces, 1-255 characters. */
const clientIdProblem = (value: string) => (value && !/^[\x21-\x7e]+$/.test(value) ? 'Printable characters without spaces' : value.length > 255 ? 'At most 255 characters' : undefined);

/**
 * One of the organization's identity providers for one environment: paste the
 * Client ID of the app registered there → Add Keys; the provider's tokens
 * carrying that client ID are then this consumer's.
 */
export function ExternalProviderPanel({
  project,
  component,
  applicationId,
  environment,
  auth,
  provider,
  currentProvider,
  canChange,
}: {
  project: string;
  component: string;
  applicationId: string;
  environment: { name: string; displayName: string };
  auth: Authentication | undefined;
  provider: IdentityProvider;
  /** The external provider this environment uses now, if any. */
  currentProvider: string | undefined;
  /** Undefined while not known yet: neither the actions nor the read-only text. */
  canChange: boolean | undefined;
}) {
  const org = useOrgHandle();
  const queryClient = useQueryClient();
  const [clientId, setClientId] = useState('');
  const [removing, setRemoving] = useState(false);
  const path = { org, app: applicationId, env: environment.name };
  // The keys show in the consumer's pages and in the project's connections (their TokenURL and ConsumerKey).
  const refresh = () =>
    Promise.all([queryClient.invalidateQueries({ queryKey: keys.component(org, project, component) }), queryClient.invalidateQueries({ queryKey: keys.connections(org, project) })]);
  const add = useMutation({
    mutationFn: () => unwrap(api.PUT('/api/v1/orgs/{org}/applications/{app}/credentials/{env}/external', { params: { path }, body: { idpName: provider.name, clientId: clientId.trim() } })),
    onSuccess: async () => {
      setClientId('');
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/orgs/{org}/applications/{app}/credentials/{env}/external', { params: { path } })),
    onSuccess: async () => {
      setRemoving(false);
      await refresh();
    },
  });
  const inUse = auth?.kind === 'external' && auth.idpId === provider.id;
  const problem = clientIdProblem(clientId.trim());

  return (
    <Stack>
      <div>
        <Title order={3} size="h4">
          {provider.name}
        </Title>
        <Text size="sm" c="dimmed">
          {IDP_KIND_LABELS[provider.kind] ?? provider.kind} · issuer <Code>{provider.issuer}</Code>
        </Text>
        {provider.description && (
          <Text size="sm" mt={4}>
            {provider.description}
          </Text>
        )}
      </div>
      {inUse ? (
        <Stack>
          <Text>
            {environment.displayName} accepts {provider.name}'s tokens issued to this client ID as this consumer's:
          </Text>
          <CopyValue label="Client ID" value={auth.externalClientId ?? ''} />
          {canChange && (
            <Group>
              <Button
                color="red"
                variant="light"
                onClick={() => {
                  remove.reset();
                  setRemoving(true);
                }}
              >
                Remove Keys
              </Button>
            </Group>
          )}
        </Stack>
      ) : auth?.keysGenerated ? (
        <Notice title={`${environment.displayName} has built-in keys`}>A consumer uses either built-in or external keys in an environment; this one has keys from the built-in provider.</Notice>
      ) : canChange ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (clientId.trim() && !problem) add.mutate();
          }}
        >
          <Stack>
            {currentProvider && (
              <Notice color="yellow">
                {environment.displayName} uses keys from {currentProvider} now; adding keys here replaces them.
              </Notice>
            )}
            <TextInput
              label="Client ID"
              description={`The client ID of this consumer's app registered at ${provider.name}`}
              required
              maxLength={255}
              value={clientId}
              onChange={(e) => setClientId(e.currentTarget.value)}
              error={problem ?? fieldError(add.error, 'clientId')}
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
            />
            <ApiErrorAlert error={add.error} title="The keys were not added" />
            <Group>
              <Button type="submit" loading={add.isPending} disabled={!clientId.trim() || !!problem}>
                Add Keys
              </Button>
            </Group>
          </Stack>
        </form>
      ) : (
        canChange === false && (
          <Text size="sm" c="dimmed">
            No keys from {provider.name} in {environment.displayName}. Only organization admins and the member who created this consumer can add them.
          </Text>
        )
      )}
      <ConfirmDialog
        opened={removing}
        onClose={() => setRemoving(false)}
        title={`Remove the ${provider.name} keys of ${environment.displayName}?`}
        confirmLabel={`Remove the ${provider.name} keys`}
        onConfirm={() => remove.mutate()}
        mutation={remove}
        errorTitle="The keys were not removed"
      >
        <Text>
          Tokens of {provider.name} for client ID <Code>{auth?.externalClientId}</Code> stop being accepted as this consumer's.
        </Text>
      </ConfirmDialog>
    </Stack>
  );
}
