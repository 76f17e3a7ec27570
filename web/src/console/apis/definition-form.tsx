import { useState, type FormEvent } from 'react';
import { ActionIcon, Button, Group, Select, Stack, Switch, Table, TagsInput, Text, TextInput, Title } from '@mantine/core';
import { api, ApiRequestError, unwrap } from '../../api/client';
import { ApiErrorAlert, fieldError } from '../../ui/api-error';
import { QueryState } from '../../ui/page-state';
import { apiPath, useApiMutation } from './mutations';
import { useEnvironments } from '../projects/queries';
import type { ApiDefinition, ApiRef } from './queries';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

interface ResourceRow {
  key: number;
  method: string;
  path: string;
  summary: string;
  oauth2: boolean;
  scopes: string[];
}

/** The message an API error gives exactly `field` (not its children). */
const exactField = (error: unknown, field: string): string | undefined => (error instanceof ApiRequestError ? error.fields[field] : undefined);

let rows = 0;
const row = (r?: Partial<ResourceRow>): ResourceRow => ({ key: ++rows, method: 'GET', path: '', summary: '', oauth2: true, scopes: [], ...r });

/**
 * Define an API by hand, or edit its definition: context path, version,
 * visibility, a backend URL per environment, and its resources with their
 * security. A new API is created with PUT; an existing one is changed with
 * PATCH (its policies, CORS and limits stay).
 */
export function DefinitionForm({
  apiRef,
  current,
  defaults,
  onDone,
  onCancel,
}: {
  apiRef: ApiRef;
  current?: ApiDefinition;
  defaults?: { contextPath: string; version: string };
  onDone?: () => void;
  onCancel?: () => void;
}) {
  const environments = useEnvironments(apiRef.org);
  const [contextPath, setContextPath] = useState(current?.contextPath ?? defaults?.contextPath ?? '');
  const [version, setVersion] = useState(current?.version ?? defaults?.version ?? 'v1');
  const [visibility, setVisibility] = useState<string>(current?.visibility ?? 'public');
  const [backendUrls, setBackendUrls] = useState<Record<string, string>>(current?.backendUrls ?? {});
  const [resources, setResources] = useState<ResourceRow[]>(() =>
    current ? current.resources.map((r) => row({ method: r.method, path: r.path, summary: r.summary ?? '', oauth2: r.security.oauth2, scopes: r.security.scopes })) : [row({ path: '/' })],
  );

  const save = useApiMutation(
    apiRef,
    (body: {
      contextPath: string;
      version: string;
      visibility: 'public' | 'private';
      backendUrls: Record<string, string>;
      resources: { method: 'GET'; path: string; summary?: string; security: { oauth2: boolean; scopes: string[] } }[];
    }) =>
      current
        ? unwrap(api.PATCH('/api/v1/orgs/{org}/projects/{project}/components/{component}/api', { params: apiPath(apiRef), body }))
        : unwrap(api.PUT('/api/v1/orgs/{org}/projects/{project}/components/{component}/api', { params: apiPath(apiRef), body })),
  );

  const update = (key: number, change: Partial<ResourceRow>) => setResources((list) => list.map((r) => (r.key === key ? { ...r, ...change } : r)));

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate(
      {
        contextPath: contextPath.trim(),
        version: version.trim(),
        visibility: visibility as 'public' | 'private',
        backendUrls: Object.fromEntries(
          Object.entries(backendUrls)
            .map(([k, v]) => [k, v.trim()])
            .filter(([, v]) => v),
        ),
        resources: resources.map((r) => ({
          method: r.method as 'GET',
          path: r.path.trim(),
          ...(r.summary.trim() && { summary: r.summary.trim() }),
          security: { oauth2: r.oauth2, scopes: r.oauth2 ? r.scopes : [] },
        })),
      },
      { onSuccess: () => onDone?.() },
    );
  }

  const error = save.error;
  return (
    <form onSubmit={submit} noValidate aria-label="API definition">
      <Stack gap="md">
        <Group grow align="flex-start">
          <TextInput
            label="Context path"
            withAsterisk
            description="Where the API starts, e.g. /orders"
            value={contextPath}
            onChange={(e) => setContextPath(e.currentTarget.value)}
            error={fieldError(error, 'contextPath')}
          />
          <TextInput label="Version" withAsterisk description="One path segment, e.g. v1" value={version} onChange={(e) => setVersion(e.currentTarget.value)} error={fieldError(error, 'version')} />
          <Select
            label="Visibility"
            description="Who sees it in the developer portal"
            data={[
              { value: 'public', label: 'Public' },
              { value: 'private', label: 'Private' },
            ]}
            value={visibility}
            onChange={(v) => setVisibility(v ?? 'public')}
            allowDeselect={false}
          />
        </Group>
        <Stack gap="xs">
          <Title order={4}>Backend URL per environment</Title>
          <QueryState query={environments} label="environments">
            {(envs) => (
              <Stack gap="xs">
                {envs.map((e) => (
                  <TextInput
                    key={e.name}
                    label={`Backend URL (${e.displayName})`}
                    placeholder="https://backend.example.com/orders — may use ${parameter}"
                    value={backendUrls[e.name] ?? ''}
                    onChange={(ev) => {
                      const value = ev.currentTarget.value;
                      setBackendUrls((b) => ({ ...b, [e.name]: value }));
                    }}
                    error={fieldError(error, `backendUrls.${e.name}`)}
                  />
                ))}
              </Stack>
            )}
          </QueryState>
        </Stack>
        <Stack gap="xs">
          <Group justify="space-between">
            <Title order={4}>Resources</Title>
            <Button variant="light" onClick={() => setResources((list) => [...list, row()])}>
              Add resource
            </Button>
          </Group>
          {resources.length === 0 ? (
            <Text c="dimmed" size="sm">
              No resources: the API answers nothing until you add one.
            </Text>
          ) : (
            <Table aria-label="Resources to define">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Method</Table.Th>
                  <Table.Th>Path</Table.Th>
                  <Table.Th>Summary</Table.Th>
                  <Table.Th>OAuth2</Table.Th>
                  <Table.Th>Scopes</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {resources.map((r, i) => {
                  const n = i + 1;
                  return (
                    <Table.Tr key={r.key}>
                      <Table.Td w={130}>
                        <Select
                          aria-label={`Method of resource ${n}`}
                          data={METHODS}
                          value={r.method}
                          onChange={(v) => update(r.key, { method: v ?? 'GET' })}
                          allowDeselect={false}
                          error={fieldError(error, `resources[${i}].method`)}
                        />
                      </Table.Td>
                      <Table.Td>
                        <TextInput
                          aria-label={`Path of resource ${n}`}
                          placeholder="/items/{id}"
                          value={r.path}
                          onChange={(e) => update(r.key, { path: e.currentTarget.value })}
                          error={fieldError(error, `resources[${i}].path`) ?? exactField(error, `resources[${i}]`)}
                        />
                      </Table.Td>
                      <Table.Td>
                        <TextInput aria-label={`Summary of resource ${n}`} value={r.summary} onChange={(e) => update(r.key, { summary: e.currentTarget.value })} />
                      </Table.Td>
                      <Table.Td w={80}>
                        <Switch aria-label={`OAuth2 for resource ${n}`} checked={r.oauth2} onChange={(e) => update(r.key, { oauth2: e.currentTarget.checked })} />
                      </Table.Td>
                      <Table.Td>
                        <TagsInput
                          aria-label={`Scopes of resource ${n}`}
                          placeholder={r.oauth2 ? 'Add a scope, Enter' : 'Public: no token'}
                          disabled={!r.oauth2}
                          value={r.scopes}
                          onChange={(v) => update(r.key, { scopes: v })}
                          error={fieldError(error, `resources[${i}].security`)}
                        />
                      </Table.Td>
                      <Table.Td w={50}>
                        <ActionIcon variant="subtle" color="red" aria-label={`Remove resource ${n}`} onClick={() => setResources((list) => list.filter((x) => x.key !== r.key))}>
                          ✕
                        </ActionIcon>
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          )}
        </Stack>
        {error && <ApiErrorAlert error={error} title="The definition was not saved" />}
        <Group justify="flex-end">
          {onCancel && (
            <Button variant="default" onClick={onCancel}>
              Cancel
            </Button>
          )}
          <Button type="submit" loading={save.isPending}>
            {current ? 'Save definition' : 'Define API'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
