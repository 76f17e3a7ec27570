import { useState } from 'react';
import { Badge, Button, Card, Code, Grid, Group, Modal, NavLink, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { ApiErrorAlert } from '../../ui/api-error';
import { ConfirmDialog } from '../../ui/confirm-dialog';
import { EmptyState, QueryState } from '../../ui/page-state';
import { apiPagePath, useApiPage } from './api-context';
import { apiPath, useApiMutation } from './mutations';
import { PolicyForm } from './policy-form';
import { PolicyPicker } from './policy-picker';
import { MethodBadge } from './resources-table';
import { findPolicy, policyLabel, resourceKey, usePolicyCatalogue, type ApiDefinition, type ApiRef, type PolicyAttachment, type PolicySchema } from './queries';

/** Develop → Policies: pick a resource (or all), see the policies that apply there, attach, edit and detach them. */
export function PoliciesPage() {
  const { ref, definition } = useApiPage();
  const catalogue = usePolicyCatalogue();
  const [selected, setSelected] = useState<string>('all');
  const [picking, picker] = useDisclosure();
  if (!definition) {
    return (
      <EmptyState title="No API defined yet">
        <Text size="sm">
          Define the API on its <Link to={`/console/o/${ref.org}/${apiPagePath(ref)}`}>Overview</Link> first; then attach policies to its resources here.
        </Text>
      </EmptyState>
    );
  }
  const applies = (p: PolicyAttachment) => (selected === 'all' ? true : p.resources === 'all' || p.resources.includes(selected));
  const shown = definition.policies.filter(applies);
  return (
    <>
      <Grid gap="lg">
        <Grid.Col span={{ base: 12, md: 4 }}>
          <Stack gap={4}>
            <Title order={4}>Resources</Title>
            <nav aria-label="Resources">
              <NavLink component="button" label="All resources" active={selected === 'all'} onClick={() => setSelected('all')} aria-current={selected === 'all' ? 'true' : undefined} />
              {definition.resources.map((r) => {
                const key = resourceKey(r);
                return (
                  <NavLink
                    key={key}
                    component="button"
                    aria-label={key}
                    aria-current={selected === key ? 'true' : undefined}
                    active={selected === key}
                    onClick={() => setSelected(key)}
                    label={
                      <Group gap="xs" wrap="nowrap">
                        <MethodBadge method={r.method} />
                        <Code>{r.path}</Code>
                      </Group>
                    }
                  />
                );
              })}
            </nav>
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 8 }}>
          <Stack gap="md">
            <Group justify="space-between">
              <div>
                <Title order={3}>Policies</Title>
                <Text size="sm" c="dimmed">
                  {selected === 'all' ? 'Every policy of this API, in the order they run.' : `Policies that run on ${selected}, in order.`}
                </Text>
              </div>
              <Button onClick={picker.open} disabled={definition.resources.length === 0}>
                Attach Mediation Policy
              </Button>
            </Group>
            {catalogue.isError && <ApiErrorAlert error={catalogue.error} title="Could not load: policies" />}
            <QueryState query={catalogue} label="policies">
              {(policies) =>
                shown.length === 0 ? (
                  <EmptyState title="No policies here">
                    <Text size="sm">{definition.resources.length === 0 ? 'Add resources to the API first.' : 'Attach a mediation policy to change requests or responses on their way.'}</Text>
                  </EmptyState>
                ) : (
                  <Stack gap="sm">
                    {shown.map((p) => (
                      <AttachmentCard key={p.id} apiRef={ref} definition={definition} attachment={p} schema={findPolicy(policies, p.policy)} />
                    ))}
                  </Stack>
                )
              }
            </QueryState>
          </Stack>
        </Grid.Col>
      </Grid>
      <PolicyPicker apiRef={ref} resources={definition.resources} initialResources={selected === 'all' ? 'all' : [selected]} opened={picking} onClose={picker.close} />
    </>
  );
}

const shownValue = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** One attached policy: where it applies, its settings; Edit, Apply to all resources, Detach. */
function AttachmentCard({ apiRef, definition, attachment, schema }: { apiRef: ApiRef; definition: ApiDefinition; attachment: PolicyAttachment; schema: PolicySchema | undefined }) {
  const [editing, edit] = useDisclosure();
  const [detaching, detach] = useDisclosure();
  const label = schema ? policyLabel(schema) : attachment.policy;
  const remove = useApiMutation(apiRef, () =>
    unwrap(api.DELETE('/api/v1/orgs/{org}/projects/{project}/components/{component}/api/policies/{attachment}', { params: { path: { ...apiPath(apiRef).path, attachment: attachment.id } } })),
  );
  const toAll = useApiMutation(apiRef, () =>
    unwrap(
      api.PUT('/api/v1/orgs/{org}/projects/{project}/components/{component}/api/policies/{attachment}', {
        params: { path: { ...apiPath(apiRef).path, attachment: attachment.id } },
        body: { policy: attachment.policy, resources: 'all', phase: attachment.phase as 'request', config: attachment.config },
      }),
    ),
  );
  return (
    <Card withBorder component="section" aria-label={label}>
      <Stack gap="xs">
        <Group justify="space-between" align="flex-start">
          <div>
            <Text fw={600}>{label}</Text>
            <Group gap={6} mt={4}>
              <Badge variant="light" color="gray">
                {attachment.phase === 'request' ? 'Request' : 'Response'}
              </Badge>
              {attachment.resources === 'all' ? (
                <Badge variant="light">All resources</Badge>
              ) : (
                attachment.resources.map((r) => (
                  <Badge key={r} variant="outline" tt="none">
                    {r}
                  </Badge>
                ))
              )}
            </Group>
          </div>
          <Group gap="xs">
            <Button variant="default" size="xs" onClick={edit.open} disabled={!schema}>
              Edit
            </Button>
            {attachment.resources !== 'all' && (
              <Button variant="default" size="xs" loading={toAll.isPending} onClick={() => toAll.mutate(undefined)}>
                Apply to all resources
              </Button>
            )}
            <Button variant="default" color="red" size="xs" onClick={detach.open} aria-label={`Detach ${label}`}>
              Detach
            </Button>
          </Group>
        </Group>
        <Stack gap={2} aria-label="Settings">
          {Object.entries(attachment.config).map(([k, v]) => (
            <Text size="sm" key={k}>
              <Text span c="dimmed">
                {k}
              </Text>{' '}
              <Code>{shownValue(v)}</Code>
            </Text>
          ))}
        </Stack>
        {toAll.error && <ApiErrorAlert error={toAll.error} title="The policy was not changed" />}
      </Stack>
      <Modal opened={editing} onClose={edit.close} size="lg" title={`Edit ${label}`}>
        {editing && schema && (
          <PolicyForm apiRef={apiRef} schema={schema} resources={definition.resources} initialResources={attachment.resources} attachment={attachment} onDone={edit.close} onCancel={edit.close} />
        )}
      </Modal>
      <ConfirmDialog
        opened={detaching}
        onClose={detach.close}
        title={`Detach ${label}?`}
        confirmLabel={`Detach ${label}`}
        onConfirm={() => remove.mutate(undefined, { onSuccess: detach.close })}
        mutation={remove}
        errorTitle="The policy was not detached"
      >
        <Text size="sm">It stops running {attachment.resources === 'all' ? 'on every resource' : `on ${attachment.resources.join(', ')}`} from the next deploy.</Text>
      </ConfirmDialog>
    </Card>
  );
}
