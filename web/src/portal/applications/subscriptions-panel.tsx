import { useState } from 'react';
import { Anchor, Button, Group, Select, Stack, Table, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { ApiErrorAlert } from '../../ui/api-error';
import { ConfirmDialog } from '../../ui/confirm-dialog';
import { EmptyState, QueryState } from '../../ui/page-state';
import { LifecycleBadge } from '../apis/apis-page';
import { applicationKey, applicationsKey, portalPath, subscriptionsKey, usePortalApis, useSubscriptions, type Application, type Subscription } from '../queries';

/** Subscribe the application to an API it may see; list and remove its subscriptions. */
export function SubscriptionsPanel({ org, app }: { org: string; app: Application }) {
  const subscriptions = useSubscriptions(org, app.id);
  const queryClient = useQueryClient();
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: subscriptionsKey(org, app.id) });
    await queryClient.invalidateQueries({ queryKey: applicationKey(org, app.id), exact: true });
    await queryClient.invalidateQueries({ queryKey: applicationsKey(org), exact: true });
  };
  const [removing, setRemoving] = useState<Subscription>();
  const remove = useMutation({
    mutationFn: (s: Subscription) => unwrap(api.DELETE('/api/v1/orgs/{org}/portal/applications/{app}/subscriptions/{subscription}', { params: { path: { org, app: app.id, subscription: s.id } } })),
    onSuccess: async (_, s) => {
      setRemoving(undefined);
      await refresh();
      notifications.show({ color: 'green', message: `Unsubscribed from ${s.apiName || s.api}` });
    },
  });
  return (
    <Stack>
      {app.canManage && <SubscribeForm org={org} app={app} subscribed={subscriptions.data ?? []} onSubscribed={refresh} />}
      <QueryState query={subscriptions} label="subscriptions">
        {(list) =>
          list.length === 0 ? (
            <EmptyState title="No subscriptions yet">
              <Text size="sm">Subscribe to an API so the gateway lets this application's tokens through.</Text>
            </EmptyState>
          ) : (
            <Table aria-label="Subscriptions" verticalSpacing="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>API</Table.Th>
                  <Table.Th>Version</Table.Th>
                  <Table.Th>Lifecycle</Table.Th>
                  <Table.Th>Connections</Table.Th>
                  <Table.Th>Since</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((s) => (
                  <Table.Tr key={s.id}>
                    <Table.Td>
                      <Anchor component={Link} to={portalPath(org, `apis/${s.apiId}`)} fw={600}>
                        {s.apiName || s.api}
                      </Anchor>
                      <Text size="xs" c="dimmed" ff="monospace">
                        {s.api} · {s.contextPath}
                      </Text>
                    </Table.Td>
                    <Table.Td>{s.version}</Table.Td>
                    <Table.Td>
                      <LifecycleBadge lifecycle={s.lifecycle} />
                    </Table.Td>
                    <Table.Td>
                      {s.connections.length ? (
                        s.connections.join(', ')
                      ) : (
                        <Text size="sm" c="dimmed">
                          none
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{new Date(s.createdAt).toLocaleDateString()}</Text>
                    </Table.Td>
                    <Table.Td>
                      {app.canManage && (
                        <Button size="xs" variant="light" color="red" onClick={() => setRemoving(s)} aria-label={`Unsubscribe from ${s.apiName || s.api}`}>
                          Unsubscribe
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </QueryState>
      <ConfirmDialog
        opened={!!removing}
        onClose={() => setRemoving(undefined)}
        title={`Unsubscribe from ${removing?.apiName || removing?.api}?`}
        confirmLabel={`Unsubscribe from ${removing?.apiName || removing?.api}`}
        onConfirm={() => removing && remove.mutate(removing)}
        mutation={remove}
        errorTitle="Not unsubscribed"
      >
        <Text size="sm">The gateway stops letting this application's tokens through to this API.</Text>
      </ConfirmDialog>
    </Stack>
  );
}

function SubscribeForm({ org, app, subscribed, onSubscribed }: { org: string; app: Application; subscribed: Subscription[]; onSubscribed: () => Promise<void> }) {
  const apis = usePortalApis(org);
  const [choice, setChoice] = useState<string | null>(null);
  const subscribe = useMutation({
    mutationFn: (apiId: string) => unwrap(api.POST('/api/v1/orgs/{org}/portal/applications/{app}/subscriptions', { params: { path: { org, app: app.id } }, body: { api: apiId } })),
    onSuccess: async (s) => {
      setChoice(null);
      await onSubscribed();
      notifications.show({ color: 'green', message: `Subscribed to ${s.apiName || s.api}` });
    },
  });
  const taken = new Set(subscribed.map((s) => s.apiId));
  const options = (apis.data ?? []).filter((a) => a.lifecycle === 'published' && !taken.has(a.id)).map((a) => ({ value: a.id, label: `${a.name || a.ref} ${a.version} (${a.ref})` }));
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (choice) subscribe.mutate(choice);
      }}
    >
      <Stack gap="xs">
        <Group align="flex-end">
          <Select
            label="API"
            placeholder={apis.isPending ? 'Loading APIs…' : options.length ? 'Choose an API' : 'No other API to subscribe to'}
            data={options}
            value={choice}
            onChange={(v) => {
              setChoice(v);
              subscribe.reset();
            }}
            searchable
            nothingFoundMessage="No API matches"
            w={420}
            disabled={options.length === 0}
          />
          <Button type="submit" disabled={!choice} loading={subscribe.isPending}>
            Subscribe
          </Button>
        </Group>
        <ApiErrorAlert error={subscribe.error ?? apis.error} title="Not subscribed" />
      </Stack>
    </form>
  );
}
