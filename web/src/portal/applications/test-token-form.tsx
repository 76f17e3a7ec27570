import { useState } from 'react';
import { Button, Group, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { api, unwrap } from '../../api/client';
import { decodeJwt } from '../jwt';
import { CLIENT_CREDENTIALS, type Application, type Keys, type TokenResponse } from '../queries';
import { useOneTimeSecret } from '../../ui/use-one-time-secret';
import { holdToken } from '../test-tokens';
import { TokenErrorAlert } from './token-error';
import { TokenView } from './token-view';

/** Generate Test Token with client credentials: the consumer secret goes to the token endpoint once and is not kept. */
export function TestTokenForm({ org, app, keys }: { org: string; app: Application; keys: Keys }) {
  const [secret, setSecret] = useState('');
  // The token leaves the mutation cache when this form unmounts (gcTime 0).
  const generate = useOneTimeSecret({
    mutationFn: async () => {
      const body = (await unwrap(
        api.POST('/api/v1/orgs/{org}/portal/applications/{app}/keys/{env}/test-token', {
          params: { path: { org, app: app.id, env: keys.environment } },
          body: { consumerSecret: secret, grantType: CLIENT_CREDENTIALS },
        }),
      )) as unknown as TokenResponse;
      return body;
    },
    onSuccess: (t) => {
      setSecret('');
      const sub = decodeJwt(t.access_token)?.claims.sub;
      holdToken(app.id, keys.environment, { token: t.access_token, expiresAt: Date.now() + t.expires_in * 1000, grant: 'client_credentials', subject: typeof sub === 'string' ? sub : '' });
    },
  });
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-label="Test token with client credentials">
      <Stack>
        <Title order={4}>Test token with client credentials</Title>
        <Text size="sm" c="dimmed">
          A client-credentials token from the token endpoint, to try the API. The secret is sent once and not kept.
        </Text>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (secret) generate.mutate();
          }}
        >
          <Group align="flex-end">
            <PasswordInput label="Consumer Secret" value={secret} onChange={(e) => setSecret(e.currentTarget.value)} autoComplete="off" w={420} />
            <Button type="submit" loading={generate.isPending} disabled={!secret}>
              Generate Test Token
            </Button>
          </Group>
        </form>
        <TokenErrorAlert error={generate.error} />
        {generate.data && <TokenView token={generate.data.access_token} />}
      </Stack>
    </Paper>
  );
}
