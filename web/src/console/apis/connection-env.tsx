import { useState } from 'react';
import { Badge, Code, Group, SegmentedControl, Stack, Text } from '@mantine/core';
import { CopyText } from '../../ui/copy-value';
import { envFile } from './env-file';
import type { Connection } from './queries';

/**
 * A connection's parameters in one environment, as environment variables,
 * with "Copy as .env". A secret (only right after creation) is masked on
 * screen and copied in full.
 */
export function ConnectionEnv({ connection }: { connection: Connection }) {
  const envs = connection.environments;
  const [env, setEnv] = useState(() => (envs.find((e) => e.deployed) ?? envs[0])?.environment ?? '');
  const current = envs.find((e) => e.environment === env);
  if (!current)
    return (
      <Text size="sm" c="dimmed">
        The organization has no environments.
      </Text>
    );
  const text = envFile(current.params);
  const shown = text.replace(/^ConsumerSecret=.*$/m, `ConsumerSecret=${'•'.repeat(12)}`);
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <SegmentedControl aria-label="Environment" size="xs" value={env} onChange={setEnv} data={envs.map((e) => ({ value: e.environment, label: e.displayName }))} />
        <Group gap="xs">
          {!current.deployed && (
            <Badge color="gray" variant="light">
              Not deployed in {current.displayName}
            </Badge>
          )}
          <CopyText label="as .env" value={text}>
            Copy as .env
          </CopyText>
        </Group>
      </Group>
      <Code block aria-label={`Environment variables (${current.displayName})`}>
        {shown}
      </Code>
      {!current.params.ConsumerKey && (
        <Text size="xs" c="dimmed">
          No keys in {current.displayName}: generate them for the consumer to get a ConsumerKey.
        </Text>
      )}
    </Stack>
  );
}
