import { Anchor, Badge, Breadcrumbs, Button, Group, Tabs, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link, useParams, useSearchParams } from 'react-router';
import { useOrgHandle } from '../../orgs/orgs';
import { Page } from '../../ui/page';
import { QueryState } from '../../ui/page-state';
import { portalPath, useApplication, useKeys, type Application } from '../queries';
import { ApplicationFormModal } from './application-form-modal';
import { DeleteApplicationModal } from './delete-application-modal';
import { KeysPanel } from './keys-panel';
import { SubscriptionsPanel } from './subscriptions-panel';

/** One application: its keys per environment (one tab each, in promotion order) and its subscriptions. */
export function ApplicationPage() {
  const org = useOrgHandle();
  const { app: id = '' } = useParams();
  const query = useApplication(org, id);
  return (
    <QueryState query={query} label="application">
      {(app) => <ApplicationView org={org} app={app} />}
    </QueryState>
  );
}

function ApplicationView({ org, app }: { org: string; app: Application }) {
  const keys = useKeys(org, app.id);
  const [params, setParams] = useSearchParams();
  const [editing, edit] = useDisclosure();
  const [deleting, del] = useDisclosure();
  const envs = keys.data ?? [];
  const tab = params.get('tab') ?? (envs.length ? `keys-${envs.at(-1)!.environment}` : 'subscriptions');
  const actions = app.canManage && (
    <>
      <Button variant="default" onClick={edit.open}>
        Edit
      </Button>
      {!app.component && (
        <Button color="red" variant="light" onClick={del.open}>
          Delete
        </Button>
      )}
    </>
  );
  return (
    <Page title={app.name} description={app.description || undefined} actions={actions}>
      <Breadcrumbs>
        <Anchor component={Link} to={portalPath(org, 'applications')}>
          Applications
        </Anchor>
        <Text>{app.name}</Text>
      </Breadcrumbs>
      <Group gap="xs">
        <Text size="sm" c="dimmed">
          Owner {app.owner ?? '—'}
        </Text>
        {app.component && (
          <Badge variant="light" tt="none">
            External consumer {app.component}
          </Badge>
        )}
        {!app.canManage && (
          <Badge variant="light" color="gray">
            read only
          </Badge>
        )}
      </Group>
      <QueryState query={keys} label="keys">
        {(list) => (
          <Tabs value={tab} onChange={(t) => t && setParams({ tab: t }, { replace: true })} keepMounted={false}>
            <Tabs.List>
              {/* Production first, as the platform we model shows them. */}
              {[...list].reverse().map((k) => (
                <Tabs.Tab key={k.environment} value={`keys-${k.environment}`}>
                  {k.label}
                </Tabs.Tab>
              ))}
              <Tabs.Tab value="subscriptions">Subscriptions</Tabs.Tab>
            </Tabs.List>
            {list.map((k) => (
              <Tabs.Panel key={k.environment} value={`keys-${k.environment}`} pt="md">
                <KeysPanel org={org} app={app} keys={k} />
              </Tabs.Panel>
            ))}
            <Tabs.Panel value="subscriptions" pt="md">
              <SubscriptionsPanel org={org} app={app} />
            </Tabs.Panel>
          </Tabs>
        )}
      </QueryState>
      <ApplicationFormModal org={org} opened={editing} onClose={edit.close} application={app} />
      <DeleteApplicationModal org={org} application={app} opened={deleting} onClose={del.close} />
    </Page>
  );
}
