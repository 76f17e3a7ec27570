import { useState } from 'react';
import { Alert, Button, Group, Modal, Stack, Table, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type ResponseOf } from '../api/client';
import { ApiErrorAlert, fieldError } from '../ui/api-error';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { CopyValue } from '../ui/copy-value';
import { EmptyState, QueryState } from '../ui/page-state';
import { useOneTimeSecret } from '../ui/use-one-time-secret';

type ApiToken = ResponseOf<'/api/v1/me/tokens', 'get'>[number];

/** The signed-in user's personal API tokens (not an organization's): the CLI and scripts sign in with one. */
const TOKENS_KEY = ['me', 'tokens'] as const;
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/**
 * API tokens, from the account menu: list, create (the token is shown once,
 * then forgotten) and revoke personal API tokens.
 */
export function ApiTokensModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  return (
    <Modal opened={opened} onClose={onClose} title="API tokens" size="xl">
      {opened && <ApiTokens onClose={onClose} />}
    </Modal>
  );
}

function ApiTokens({ onClose }: { onClose: () => void }) {
  const queryClient = useQueryClient();
  const tokens = useQuery({ queryKey: TOKENS_KEY, queryFn: () => unwrap(api.GET('/api/v1/me/tokens')) });
  const [name, setName] = useState('');
  const [revoking, setRevoking] = useState<ApiToken>();
  const refresh = () => queryClient.invalidateQueries({ queryKey: TOKENS_KEY });
  // The token is in this answer only: it leaves memory and the mutation cache when dismissed or when the dialog closes.
  const create = useOneTimeSecret({
    mutationFn: (tokenName: string) => unwrap(api.POST('/api/v1/me/tokens', { body: { name: tokenName } })),
    onSuccess: async () => {
      setName('');
      await refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: (t: ApiToken) => unwrap(api.DELETE('/api/v1/me/tokens/{id}', { params: { path: { id: t.id } } })),
    onSuccess: async () => {
      setRevoking(undefined);
      await refresh();
    },
  });
  const active = (tokens.data ?? []).filter((t) => !t.revokedAt);
  return (
    <Stack>
      <Text size="sm" c="dimmed">
        A personal API token acts as you on the management API (<code>Authorization: Bearer …</code>), for the CLI and scripts. It has your rights in every organization you belong to.
      </Text>
      {create.data ? (
        <Stack gap="xs">
          <Alert color="yellow" title="Copy the token now" role="alert">
            You will not see this token again.
          </Alert>
          <CopyValue label={`API token ${create.data.name}`} value={create.data.token} secret />
          <Group justify="flex-end">
            <Button onClick={() => create.forget()}>I have copied the token</Button>
          </Group>
        </Stack>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (name.trim()) create.mutate(name.trim());
          }}
        >
          <Group align="flex-start">
            <TextInput
              label="Token name"
              description="What it is for, e.g. ci-deploy"
              maxLength={100}
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              error={fieldError(create.error, 'name')}
              style={{ flex: 1 }}
              data-autofocus
            />
            <Button type="submit" mt={46} loading={create.isPending} disabled={!name.trim()}>
              Create token
            </Button>
          </Group>
          <ApiErrorAlert error={create.error} title="The token was not created" />
        </form>
      )}
      <QueryState query={tokens} label="API tokens">
        {() =>
          active.length === 0 ? (
            <EmptyState title="No API tokens" />
          ) : (
            <Table aria-label="API tokens">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Last used</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {active.map((t) => (
                  <Table.Tr key={t.id}>
                    <Table.Td>{t.name}</Table.Td>
                    <Table.Td>{when(t.createdAt)}</Table.Td>
                    <Table.Td>{when(t.lastUsedAt)}</Table.Td>
                    <Table.Td>
                      <Button size="compact-sm" variant="subtle" color="red" aria-label={`Revoke ${t.name}`} onClick={() => setRevoking(t)}>
                        Revoke
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </QueryState>
      <Group justify="flex-end">
        <Button
          variant="default"
          onClick={() => {
            create.forget();
            onClose();
          }}
        >
          Close
        </Button>
      </Group>
      <ConfirmDialog
        opened={!!revoking}
        onClose={() => setRevoking(undefined)}
        title={`Revoke the API token "${revoking?.name}"?`}
        confirmLabel={`Revoke ${revoking?.name}`}
        onConfirm={() => revoking && revoke.mutate(revoking)}
        mutation={revoke}
        errorTitle="The token was not revoked"
      >
        <Text size="sm">Scripts and CLIs that use it are refused from now on. This cannot be undone.</Text>
      </ConfirmDialog>
    </Stack>
  );
}
