import { Badge, Button, Code, Group, List, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { useOrgHandle } from '../../orgs/orgs';
import { ApiErrorAlert } from '../../ui/api-error';
import { keys as queryKeys } from '../query-keys';
import type { IdentityProvider, TestResult } from './idp-queries';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : 'never');

/** The provider's signing keys: what the platform holds, and (admins) Test, which fetches the JWKS now. */
export function IdpKeysPanel({ idp, canTest }: { idp: IdentityProvider; canTest: boolean }) {
  const org = useOrgHandle();
  const queryClient = useQueryClient();
  const test = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/orgs/{org}/identity-providers/{idp}/test', { params: { path: { org, idp: idp.name } } })),
    // The test refreshed the cache: the provider's key status changed too.
    onSuccess: () =>
      queryClient.invalidateQueries({ queryKey: queryKeys.identityProvider(org, idp.name) }).then(() => queryClient.invalidateQueries({ queryKey: queryKeys.identityProviders(org), exact: true })),
  });
  const { keys } = idp;
  return (
    <Paper withBorder p="lg">
      <Stack>
        <Group justify="space-between">
          <Title order={3} size="h4">
            Signing keys
          </Title>
          {canTest && (
            <Button variant="light" onClick={() => test.mutate()} loading={test.isPending}>
              Test
            </Button>
          )}
        </Group>
        <Text size="sm">
          {keys.fetchedAt ? `${keys.keyIds.length === 1 ? '1 key' : `${keys.keyIds.length} keys`} held, fetched ${when(keys.fetchedAt)}` : 'No keys fetched yet'}
          {keys.keyIds.length > 0 && (
            <>
              :{' '}
              {keys.keyIds.map((k, i) => (
                <Code key={i} mr={4}>
                  {k ?? '(no kid)'}
                </Code>
              ))}
            </>
          )}
        </Text>
        {keys.lastError && (
          <Text size="sm" c="red">
            Last fetch failed: {keys.lastError}
          </Text>
        )}
        {!canTest && (
          <Text size="sm" c="dimmed">
            Only admins can test the provider.
          </Text>
        )}
        <ApiErrorAlert error={test.error} title="The test could not run" />
        {test.data && <TestOutcome result={test.data} />}
      </Stack>
    </Paper>
  );
}

function TestOutcome({ result }: { result: TestResult }) {
  return (
    <Stack gap="xs" role="region" aria-label="Test result">
      <Group gap="xs">
        <Badge color={result.ok ? 'green' : 'red'}>{result.ok ? 'Keys fetched' : 'Test failed'}</Badge>
        <Text size="sm" ff="monospace">
          {result.jwksUri}
        </Text>
      </Group>
      {result.error && (
        <Text size="sm" c="red">
          {result.error}
        </Text>
      )}
      {result.keys.length > 0 ? (
        <Table aria-label="Keys found" withTableBorder>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Key ID</Table.Th>
              <Table.Th>Type</Table.Th>
              <Table.Th>Curve</Table.Th>
              <Table.Th>Algorithms</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {result.keys.map((k, i) => (
              <Table.Tr key={k.kid ?? i}>
                <Table.Td>
                  <Code>{k.kid ?? '(no kid)'}</Code>
                </Table.Td>
                <Table.Td>{k.kty}</Table.Td>
                <Table.Td>{k.crv ?? '—'}</Table.Td>
                <Table.Td>{k.algorithms.join(', ')}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : (
        result.ok && <Text size="sm">The JWKS holds no usable signing key.</Text>
      )}
      {result.skipped.length > 0 && (
        <>
          <Text size="sm" fw={600}>
            Skipped
          </Text>
          <List size="sm">
            {result.skipped.map((s) => (
              <List.Item key={s}>{s}</List.Item>
            ))}
          </List>
        </>
      )}
    </Stack>
  );
}
