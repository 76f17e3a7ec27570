import { useEffect, useMemo, useState } from 'react';
import { Alert, Anchor, Button, Card, Grid, Group, PasswordInput, Radio, Select, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api as client, ApiRequestError, unwrap } from '../../api/client';
import { ApiErrorAlert, fieldError } from '../../ui/api-error';
import { PageLoader } from '../../ui/page-state';
import { applicationsKey, portalPath, subscriptionsKey, useApplications, useKeys, useSubscriptions, type PortalApi, type TryItResult } from '../queries';
import { useHeldToken } from '../test-tokens';
import { NameValueRows, type NameValue } from '../ui/name-value-rows';
import { TryItResultView } from './try-it-result';

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

const templateParams = (path: string) => [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);

/** Errors the API names per row (`headers.0.name`), re-keyed for the rows (`0.name`). */
function rowErrors(error: unknown, list: string): Record<string, string> {
  if (!(error instanceof ApiRequestError)) return {};
  return Object.fromEntries(
    Object.entries(error.fields)
      .filter(([k]) => k.startsWith(`${list}.`))
      .map(([k, v]) => [k.slice(list.length + 1), v]),
  );
}

/**
 * Try it: call a resource through an environment's gateway with a test token
 * of one of the caller's applications subscribed to this API. The platform
 * makes the call (POST …/try-it); the token never reaches the page.
 */
export function TryItPanel({ org, api }: { org: string; api: PortalApi }) {
  const applications = useApplications(org);
  const mine = useMemo(() => (applications.data ?? []).filter((a) => a.canManage), [applications.data]);
  const [appId, setAppId] = useState<string | null>(null);
  const [environment, setEnvironment] = useState<string | null>(api.endpoints.at(-1)?.environment ?? null);
  const [resourceIndex, setResourceIndex] = useState('0');
  const resource = api.resources[Number(resourceIndex)];
  const [pathParams, setPathParams] = useState<Record<string, string>>({});
  const [query, setQuery] = useState<NameValue[]>([]);
  const [headers, setHeaders] = useState<NameValue[]>([]);
  const [body, setBody] = useState('');
  const [secret, setSecret] = useState('');
  const [tokenChoice, setTokenChoice] = useState<'held' | 'secret'>('held');

  useEffect(() => {
    if (!appId && mine.length > 0) setAppId(mine[0]!.id);
  }, [appId, mine]);

  const subscriptions = useSubscriptions(org, appId ?? '');
  const keys = useKeys(org, appId ?? '');
  const held = useHeldToken(appId ?? undefined, environment ?? undefined);
  const subscribed = subscriptions.data?.some((s) => s.apiId === api.id);
  const envKeys = keys.data?.find((k) => k.environment === environment);
  const useHeld = !!held && tokenChoice === 'held';

  const queryClient = useQueryClient();
  const subscribe = useMutation({
    mutationFn: () => unwrap(client.POST('/api/v1/orgs/{org}/portal/applications/{app}/subscriptions', { params: { path: { org, app: appId! } }, body: { api: api.id } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: subscriptionsKey(org, appId!) });
      await queryClient.invalidateQueries({ queryKey: applicationsKey(org), exact: true });
    },
  });

  const send = useMutation({
    mutationFn: (): Promise<TryItResult> => {
      const method = resource!.method.toUpperCase() as Method;
      const path = resource!.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(pathParams[name] ?? ''));
      return unwrap(
        client.POST('/api/v1/orgs/{org}/portal/applications/{app}/try-it', {
          params: { path: { org, app: appId! } },
          body: {
            api: api.id,
            environment: environment!,
            method,
            path,
            query: query.filter((q) => q.name !== ''),
            headers: headers.filter((h) => h.name !== ''),
            ...(body !== '' && method !== 'GET' && method !== 'HEAD' && { body }),
            ...(useHeld ? { accessToken: held!.token } : { consumerSecret: secret }),
          },
        }),
      );
    },
  });

  if (applications.isPending) return <PageLoader label="Loading your applications" />;
  if (applications.isError) return <ApiErrorAlert error={applications.error} title="Could not load your applications" />;
  if (api.endpoints.length === 0)
    return (
      <Alert color="gray" title="Not deployed">
        This API is not deployed in any environment yet, so it cannot be called.
      </Alert>
    );
  if (mine.length === 0) {
    return (
      <Alert color="blue" title="You need an application">
        Calls are made with a test token of one of your applications.{' '}
        <Anchor component={Link} to={portalPath(org, 'applications')}>
          Create an application
        </Anchor>
        , generate its keys and subscribe it to this API.
      </Alert>
    );
  }
  const params = resource ? templateParams(resource.path) : [];
  const method = resource?.method.toUpperCase() ?? 'GET';
  const missingParam = params.find((p) => !pathParams[p]);
  const ready = !!appId && !!environment && !!resource && subscribed && envKeys?.kind === 'builtin' && !missingParam && (useHeld || secret !== '');

  return (
    <Grid gap="xl">
      <Grid.Col span={{ base: 12, lg: 5 }}>
        <Stack>
          <Select
            label="Application"
            description="One of your applications; the call uses a test token of it"
            data={mine.map((a) => ({ value: a.id, label: a.name }))}
            value={appId}
            onChange={(v) => {
              setAppId(v);
              send.reset();
              subscribe.reset();
            }}
            allowDeselect={false}
          />
          {appId && subscriptions.isSuccess && !subscribed && (
            <Alert color="yellow" title="Not subscribed">
              <Stack gap="xs">
                <Text size="sm">This application is not subscribed to {api.name || api.ref}; the gateway refuses its tokens here.</Text>
                <ApiErrorAlert error={subscribe.error} title="Not subscribed" />
                <Group>
                  <Button size="xs" onClick={() => subscribe.mutate()} loading={subscribe.isPending} disabled={api.lifecycle !== 'published'}>
                    Subscribe
                  </Button>
                </Group>
              </Stack>
            </Alert>
          )}
          <Select
            label="Environment"
            description="The gateway that serves the call"
            data={api.endpoints.map((e) => ({ value: e.environment, label: e.displayName }))}
            value={environment}
            onChange={(v) => {
              setEnvironment(v);
              send.reset();
            }}
            allowDeselect={false}
            error={fieldError(send.error, 'environment')}
          />
          {appId && keys.isSuccess && envKeys?.kind !== 'builtin' && (
            <Alert color="yellow" title={`No ${envKeys?.label ?? 'keys'}`}>
              Generate credentials for this environment on the{' '}
              <Anchor component={Link} to={portalPath(org, `applications/${appId}`)}>
                application's page
              </Anchor>{' '}
              first.
            </Alert>
          )}
          {held && (
            <Radio.Group label="Test token" value={tokenChoice} onChange={(v) => setTokenChoice(v as 'held' | 'secret')}>
              <Stack gap={6} mt={6}>
                <Radio
                  value="held"
                  label={`The test token generated on this page (${held.grant === 'token_exchange' ? `exchanged for ${held.subject}` : 'client credentials'}, expires ${new Date(held.expiresAt).toLocaleTimeString()})`}
                />
                <Radio value="secret" label="A new client-credentials token from the consumer secret" />
              </Stack>
            </Radio.Group>
          )}
          {!useHeld && (
            <PasswordInput
              label="Consumer Secret"
              description={`Of the ${envKeys?.label ?? 'keys'}; used once to get a client-credentials token, never stored`}
              value={secret}
              onChange={(e) => setSecret(e.currentTarget.value)}
              autoComplete="off"
              error={fieldError(send.error, 'consumerSecret') && 'The token endpoint refused this secret'}
            />
          )}
        </Stack>
      </Grid.Col>
      <Grid.Col span={{ base: 12, lg: 7 }}>
        <Card withBorder radius="md">
          <Stack>
            <Select
              label="Resource"
              data={api.resources.map((r, i) => ({ value: String(i), label: `${r.method.toUpperCase()} ${r.path}${r.summary ? ` — ${r.summary}` : ''}` }))}
              value={resourceIndex}
              onChange={(v) => {
                setResourceIndex(v ?? '0');
                setPathParams({});
                send.reset();
              }}
              allowDeselect={false}
            />
            {params.map((p) => (
              <TextInput
                key={p}
                label={p}
                description="Path parameter"
                required
                value={pathParams[p] ?? ''}
                onChange={(e) => setPathParams({ ...pathParams, [p]: e.currentTarget.value })}
                error={fieldError(send.error, 'path')}
              />
            ))}
            <NameValueRows label="Query parameter" rows={query} onChange={setQuery} addLabel="+ Add query parameter" errors={rowErrors(send.error, 'query')} />
            <NameValueRows label="Header" rows={headers} onChange={setHeaders} addLabel="+ Add header" errors={rowErrors(send.error, 'headers')} />
            {method !== 'GET' && method !== 'HEAD' && (
              <Textarea
                label="Body"
                autosize
                minRows={3}
                maxRows={12}
                value={body}
                onChange={(e) => setBody(e.currentTarget.value)}
                styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
                error={fieldError(send.error, 'body')}
              />
            )}
            <ApiErrorAlert error={send.error} title="The call was not made" />
            <Group>
              <Button onClick={() => send.mutate()} loading={send.isPending} disabled={!ready}>
                Send Request
              </Button>
              {missingParam && (
                <Text size="sm" c="dimmed">
                  Fill in {missingParam}
                </Text>
              )}
            </Group>
          </Stack>
        </Card>
      </Grid.Col>
      {send.data && (
        <Grid.Col span={12}>
          <TryItResultView result={send.data} />
        </Grid.Col>
      )}
    </Grid>
  );
}
