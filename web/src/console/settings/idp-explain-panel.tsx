import { useState } from 'react';
import { Badge, Button, Group, Paper, Select, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { useOrgHandle } from '../../orgs/orgs';
import { ApiErrorAlert, fieldError } from '../../ui/api-error';
import type { Explanation, IdentityProvider } from './idp-queries';

type Expected = 'access_token' | 'id_token' | 'jwt';
const EXPECTED: { value: Expected | 'any'; label: string }[] = [
  { value: 'any', label: 'Not declared' },
  { value: 'access_token', label: 'Access token' },
  { value: 'id_token', label: 'ID token' },
  { value: 'jwt', label: 'Any JWT' },
];

/**
 * Paste a token and see every check the platform runs on it. The token stays
 * in this form's memory only: it is sent in the request body, never in a URL,
 * and the API neither stores nor echoes it.
 */
export function IdpExplainPanel({ idp }: { idp: IdentityProvider }) {
  const org = useOrgHandle();
  const [token, setToken] = useState('');
  const [expected, setExpected] = useState<Expected | 'any'>('any');
  const explain = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/orgs/{org}/identity-providers/{idp}/explain', {
          params: { path: { org, idp: idp.name } },
          body: { token: token.trim(), ...(expected !== 'any' && { expectedType: expected }) },
        }),
      ),
  });
  return (
    <Paper withBorder p="lg">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim()) explain.mutate();
        }}
      >
        <Stack>
          <Title order={3} size="h4">
            Explain a token
          </Title>
          <Text size="sm" c="dimmed">
            Paste a token issued by this provider to see each check the platform makes on it. The token is not stored.
          </Text>
          <Textarea
            label="Token to explain"
            placeholder="eyJ…"
            autosize
            minRows={3}
            maxRows={8}
            value={token}
            onChange={(e) => setToken(e.currentTarget.value)}
            error={fieldError(explain.error, 'token')}
            autoComplete="off"
            spellCheck={false}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', wordBreak: 'break-all' } }}
          />
          <Group align="flex-end">
            <Select label="Declared token type" data={EXPECTED} value={expected} onChange={(v) => v && setExpected(v as Expected | 'any')} allowDeselect={false} w={220} />
            <Button type="submit" loading={explain.isPending} disabled={!token.trim()}>
              Explain
            </Button>
            {(token || explain.data) && (
              <Button
                variant="default"
                onClick={() => {
                  setToken('');
                  explain.reset();
                }}
              >
                Clear
              </Button>
            )}
          </Group>
          <ApiErrorAlert error={explain.error} title="The token could not be explained" />
          {explain.data && <ExplainResult result={explain.data} />}
        </Stack>
      </form>
    </Paper>
  );
}

const KIND_LABELS: Record<string, string> = { access_token: 'access token', id_token: 'ID token', unmarked: 'not marked' };

function ExplainResult({ result }: { result: Explanation }) {
  return (
    <Stack gap="xs" role="region" aria-label="Explanation">
      <Group gap="xs">
        <Badge color={result.valid ? 'green' : 'red'} size="lg">
          {result.valid ? 'Valid token' : 'Token refused'}
        </Badge>
        {result.subject !== null && (
          <Text size="sm">
            Subject: <b>{result.subject}</b>
          </Text>
        )}
        {result.clientId !== null && (
          <Text size="sm">
            Client ID: <b>{result.clientId}</b>
          </Text>
        )}
        {result.tokenKind !== null && (
          <Text size="sm">
            Kind: <b>{KIND_LABELS[result.tokenKind] ?? result.tokenKind}</b>
          </Text>
        )}
      </Group>
      <Table aria-label="Checks" withTableBorder>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Check</Table.Th>
            <Table.Th>Result</Table.Th>
            <Table.Th>Details</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {result.steps.map((s) => (
            <Table.Tr key={s.step}>
              <Table.Td>{s.step}</Table.Td>
              <Table.Td>
                <Badge color={s.ok ? 'green' : 'red'} variant="light">
                  {s.ok ? 'passed' : 'failed'}
                </Badge>
                {s.code && (
                  <Text size="xs" ff="monospace" mt={2}>
                    {s.code}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>{s.message}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
