import { Tabs } from '@mantine/core';
import type { Application, Keys } from '../queries';
import { OAuth2Tokens } from './oauth2-tokens';
import { UserKeys } from './user-keys';

/** One environment's keys: OAuth2 Tokens (the consumer key and secret, test tokens) and User Keys (exchange an IdP's token). */
export function KeysPanel({ org, app, keys }: { org: string; app: Application; keys: Keys }) {
  return (
    <Tabs defaultValue="oauth2" variant="pills" keepMounted={false}>
      <Tabs.List mb="md">
        <Tabs.Tab value="oauth2">OAuth2 Tokens</Tabs.Tab>
        <Tabs.Tab value="user-keys">User Keys</Tabs.Tab>
      </Tabs.List>
      <Tabs.Panel value="oauth2">
        <OAuth2Tokens org={org} app={app} keys={keys} />
      </Tabs.Panel>
      <Tabs.Panel value="user-keys">
        <UserKeys org={org} app={app} keys={keys} />
      </Tabs.Panel>
    </Tabs>
  );
}
