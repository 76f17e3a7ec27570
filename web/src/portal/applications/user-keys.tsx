import { useState } from 'react';
import { Alert, Button, CopyButton, Group, List, Paper, PasswordInput, Select, Stack, Text, Textarea, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { ApiErrorAlert } from '../../ui/api-error';
import { PageLoader } from '../../ui/page-state';
import { decodeJwt } from '../jwt';
import { applicationKey, TOKEN_EXCHANGE, useIdentityProviders, type Application, type Keys, type TokenResponse, type UserKeys as UserKeysData } from '../queries';
import { useOneTimeSecret } from '../../ui/use-one-time-secret';
import { holdToken } from '../test-tokens';
import { CodeBlock } from '../ui/code-block';
import { TokenErrorAlert } from './token-error';
import { TokenView } from './token-view';

/** POSIX shell single-quoting. */
const shq = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

/** The User Keys curl with the pasted token in place of ${IDP_TOKEN}; the consumer secret stays a shell variable. */
const curlWithToken = (curl: string, idpToken: string) => (idpToken ? curl.replace('"subject_token=${IDP_TOKEN}"', shq(`subject_token=${idpToken}`)) : curl);

/**
 * User Keys: trade a token of one of the organization's identity providers
 * for a platform token (RFC 8693 token exchange). The pasted token and the
 * consumer secret stay in this page's memory only.
 */
export function UserKeys({ org, app, keys }: { org: string; app: Application; keys: Keys }) {
  const idps = useIdentityProviders(org);
  const [idp, setIdp] = useState<string | null>(null);
  if (keys.kind !== 'builtin') {
    return (
      <Alert color="gray" title={`No ${keys.label}`}>
        Generate credentials under OAuth2 Tokens first, with the Token Exchange grant type (Advanced Configurations).
      </Alert>
    );
  }
  if (idps.isPending) return <PageLoader label="Loading identity providers" />;
  if (idps.isError) return <ApiErrorAlert error={idps.error} title="Could not load the identity providers" />;
  return (
    <Stack maw={960}>
      <Select
        label="Identity Provider"
        description="Whose tokens your users bring"
        placeholder={idps.data.length ? 'Choose a provider' : 'No identity providers'}
        data={idps.data.map((p) => ({ value: p.name, label: p.description ? `${p.name} — ${p.description}` : p.name }))}
        value={idp}
        onChange={setIdp}
        disabled={idps.data.length === 0}
        maw={480}
      />
      {idps.data.length === 0 && (
        <Text size="sm" c="dimmed">
          This organization has no identity providers yet; an admin adds them in the console.
        </Text>
      )}
      {idp && <ProviderUserKeys key={idp} org={org} app={app} keys={keys} idp={idp} />}
    </Stack>
  );
}

function ProviderUserKeys({ org, app, keys, idp }: { org: string; app: Application; keys: Keys; idp: string }) {
  const [audience, setAudience] = useState<string | null>(null);
  const info = useQuery({
    queryKey: [...applicationKey(org, app.id), 'user-keys', keys.environment, idp, audience],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/orgs/{org}/portal/applications/{app}/keys/{env}/user-keys/{idp}', {
          params: { path: { org, app: app.id, env: keys.environment, idp }, query: audience ? { audience } : {} },
        }),
      ),
    placeholderData: (previous) => previous,
  });
  if (info.isPending) return <PageLoader label="Loading the steps" />;
  if (info.isError) {
    return (
      <Stack>
        <ApiErrorAlert error={info.error} title="User Keys are not available" />
        {!keys.grantTypes.includes(TOKEN_EXCHANGE) && <Text size="sm">Enable Token Exchange under OAuth2 Tokens → Advanced Configurations, then come back.</Text>}
      </Stack>
    );
  }
  return <Exchange org={org} app={app} keys={keys} data={info.data} audience={audience} onAudience={setAudience} />;
}

function Exchange({ org, app, keys, data, audience, onAudience }: { org: string; app: Application; keys: Keys; data: UserKeysData; audience: string | null; onAudience: (a: string | null) => void }) {
  const name = data.identityProvider.name;
  const [idpToken, setIdpToken] = useState('');
  const [secret, setSecret] = useState('');
  const token = idpToken.trim();
  const exchange = useOneTimeSecret({
    mutationFn: async () =>
      (await unwrap(
        api.POST('/api/v1/orgs/{org}/portal/applications/{app}/keys/{env}/test-token', {
          params: { path: { org, app: app.id, env: keys.environment } },
          body: { consumerSecret: secret, subjectToken: token, grantType: TOKEN_EXCHANGE },
        }),
      )) as unknown as TokenResponse,
    onSuccess: (t) => {
      const sub = decodeJwt(t.access_token)?.claims.sub;
      holdToken(app.id, keys.environment, { token: t.access_token, expiresAt: Date.now() + t.expires_in * 1000, grant: 'token_exchange', subject: typeof sub === 'string' ? sub : '' });
    },
  });
  const pasted = token ? decodeJwt(token) : undefined;
  return (
    <Stack>
      {data.audiences.length > 1 && (
        <Select
          label="Audience"
          description="The audience your token is issued for"
          data={data.audiences.map((a) => a.audience)}
          value={audience ?? data.idpTokenRequest.audience}
          onChange={onAudience}
          allowDeselect={false}
          maw={480}
        />
      )}
      <Paper withBorder p="md" radius="md" component="section" aria-label="Steps">
        <Title order={4} mb="sm">
          Steps
        </Title>
        <List type="ordered" spacing="sm">
          {data.steps.map((s) => (
            <List.Item key={s.title}>
              <Text fw={600} size="sm">
                {s.title}
              </Text>
              <Text size="sm" c="dimmed">
                {s.detail}
              </Text>
            </List.Item>
          ))}
        </List>
      </Paper>
      <Textarea
        label={`${name} Token`}
        description={`An access token issued by ${name} (a JWT, eyJ…); it stays in this page`}
        value={idpToken}
        onChange={(e) => {
          setIdpToken(e.currentTarget.value);
          exchange.forget();
        }}
        autosize
        minRows={3}
        maxRows={8}
        spellCheck={false}
        autoComplete="off"
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
        error={token && !pasted ? 'This is not a JWT: paste the access token itself' : undefined}
      />
      {pasted && (
        <Text size="xs" c="dimmed">
          Issuer {String(pasted.claims.iss ?? '—')}, audience {JSON.stringify(pasted.claims.aud ?? '—')}, subject {String(pasted.claims.sub ?? '—')}
          {typeof pasted.claims.exp === 'number' && `, expires ${new Date(pasted.claims.exp * 1000).toLocaleString()}`}
        </Text>
      )}
      <PasswordInput
        label="Consumer Secret"
        description={`Of the ${keys.label} (consumer key ${keys.consumerKey}); sent once with Generate Test Token, never kept`}
        value={secret}
        onChange={(e) => setSecret(e.currentTarget.value)}
        autoComplete="off"
        maw={480}
      />
      <Group>
        <CopyButton value={curlWithToken(data.curl, token)}>
          {({ copied, copy }) => (
            <Group gap="xs">
              <Button variant="default" onClick={copy}>
                ://Curl
              </Button>
              {copied && (
                <Text size="sm" c="green" role="status">
                  Copied
                </Text>
              )}
            </Group>
          )}
        </CopyButton>
        <Button onClick={() => exchange.mutate()} loading={exchange.isPending} disabled={!token || !secret}>
          Generate Test Token
        </Button>
      </Group>
      <CodeBlock label="Token exchange curl" code={data.curl} copy={false} />
      <Text size="xs" c="dimmed">
        ://Curl copies this command with your {name} token in place of {'${IDP_TOKEN}'}. Set CONSUMER_SECRET in your shell first (export CONSUMER_SECRET=…).
      </Text>
      <TokenErrorAlert error={exchange.error} />
      {exchange.data && <TokenView token={exchange.data.access_token} title="Platform token" />}
    </Stack>
  );
}
