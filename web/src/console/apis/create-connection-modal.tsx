import { useState, type FormEvent } from 'react';
import { Alert, Button, Group, Modal, Select, Stack, Switch, TextInput } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { ApiErrorAlert, fieldError } from '../../ui/api-error';
import { CopyValue } from '../../ui/copy-value';
import { nameProblem } from '../../ui/name-check';
import { useOneTimeSecret } from '../../ui/use-one-time-secret';
import { QueryState } from '../../ui/page-state';
import { ConnectionEnv } from './connection-env';
import { keys } from '../query-keys';
import { useComponents } from '../projects/queries';
import { useConnections, usePublishedApis, type Connection } from './queries';
import { RequiredScopes } from './required-scopes';
import { Notice } from '../../ui/notice';

const PROJECT = '__project__';

/** Create Connection: a consumer (a component, or the whole project) to a published API; then its parameters, the secret once. */
export function CreateConnectionModal({ org, project, opened, onClose }: { org: string; project: string; opened: boolean; onClose: () => void }) {
  const [created, setCreated] = useState<Connection>();
  const close = () => {
    setCreated(undefined);
    onClose();
  };
  return (
    <Modal opened={opened} onClose={close} size="lg" title={created ? `Connection ${created.name} created` : 'Create Connection'}>
      {created ? <Created connection={created} onDone={close} /> : opened && <CreateForm org={org} project={project} onCreated={setCreated} onCancel={close} />}
    </Modal>
  );
}

function Created({ connection, onDone }: { connection: Connection; onDone: () => void }) {
  const secrets = connection.environments.filter((e) => e.params.ConsumerSecret);
  return (
    <Stack gap="md">
      {secrets.length > 0 && (
        <Alert color="yellow" title="Copy the consumer secret now" role="alert">
          You will not see this secret again. It was generated with the keys of {secrets.map((e) => e.displayName).join(', ')}.
        </Alert>
      )}
      {secrets.map((e) => (
        <CopyValue key={e.environment} label={`Consumer secret (${e.displayName})`} value={e.params.ConsumerSecret!} secret />
      ))}
      <ConnectionEnv connection={connection} />
      <Group justify="flex-end">
        <Button onClick={onDone}>Done</Button>
      </Group>
    </Stack>
  );
}

function CreateForm({ org, project, onCreated, onCancel }: { org: string; project: string; onCreated: (c: Connection) => void; onCancel: () => void }) {
  const client = useQueryClient();
  const apis = usePublishedApis(org);
  const components = useComponents(org, project);
  const existing = useConnections(org, project);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [apiId, setApiId] = useState<string | null>(null);
  const [consumer, setConsumer] = useState<string>(PROJECT);
  const [generateKeys, setGenerateKeys] = useState(true);
  // The response holds the consumer secret: it leaves the mutation cache once the form unmounts.
  const create = useOneTimeSecret({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/orgs/{org}/projects/{project}/connections', {
          params: { path: { org, project } },
          body: { name, ...(description && { description }), api: apiId ?? '', ...(consumer !== PROJECT && { component: consumer }), generateKeys },
        }),
      ),
    onSuccess: async (c) => {
      // The connections, and the consumer's keys and subscription (it may have generated keys).
      await client.invalidateQueries({ queryKey: keys.project(org, project) });
      onCreated(c);
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }
  const error = create.error;
  const nameIssue = nameProblem(name);
  const chosen = apis.data?.find((a) => a.id === apiId);
  // The API refuses only a taken name; the same consumer connected twice to the same API is allowed but rarely meant.
  const duplicate = chosen && existing.data?.find((c) => c.api.id === chosen.id && (c.component ?? PROJECT) === consumer);
  return (
    <form onSubmit={submit} noValidate aria-label="Create Connection">
      <Stack gap="sm">
        <QueryState query={apis} label="published APIs">
          {(list) => (
            <Select
              label="API"
              withAsterisk
              description="A published API of the organization"
              placeholder={list.length ? 'Choose an API' : 'No published API yet'}
              data={list.map((a) => ({ value: a.id, label: `${a.displayName} (${a.project}/${a.component}) ${a.contextPath}/${a.version}` }))}
              value={apiId}
              onChange={(v) => {
                setApiId(v);
                const a = list.find((x) => x.id === v);
                if (a && !name) setName(a.component);
              }}
              searchable
              error={fieldError(error, 'api')}
            />
          )}
        </QueryState>
        <QueryState query={components} label="components">
          {(list) => (
            <Select
              label="Consumer"
              description="Who calls the API: an external consumer of this project, or the project (its components share the keys)"
              data={[
                { value: PROJECT, label: `The project ${project} (shared)` },
                ...list.filter((c) => c.type === 'external-consumer').map((c) => ({ value: c.name, label: `${c.displayName} (${c.name})` })),
              ]}
              value={consumer}
              onChange={(v) => setConsumer(v ?? PROJECT)}
              allowDeselect={false}
              error={fieldError(error, 'component')}
            />
          )}
        </QueryState>
        {chosen && <RequiredScopes apis={[chosen]} />}
        {duplicate && (
          <Notice color="yellow" title="Already connected" aria-label="Already connected">
            The connection {duplicate.name} already connects {consumer === PROJECT ? 'the project' : consumer} to this API; its parameters are on the Connections page.
          </Notice>
        )}
        <TextInput
          label="Connection name"
          withAsterisk
          description="Lowercase letters, digits and hyphens"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={nameIssue ?? fieldError(error, 'name')}
        />
        <TextInput label="Description" value={description} onChange={(e) => setDescription(e.currentTarget.value)} error={fieldError(error, 'description')} />
        <Switch label="Generate keys where the consumer has none" checked={generateKeys} onChange={(e) => setGenerateKeys(e.currentTarget.checked)} />
        {error && <ApiErrorAlert error={error} title="The connection was not created" />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={create.isPending}>
            Connect
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
