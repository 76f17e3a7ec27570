import { Code, Group, Text } from '@mantine/core';
import { Notice } from '../../ui/notice';

interface ApiWithResources {
  displayName: string;
  resources: { method: string; path: string; security: { oauth2: boolean; scopes: string[] } }[];
}

/** The distinct scopes an API's resources ask of a token, sorted. */
const requiredScopes = (api: ApiWithResources): string[] => [...new Set(api.resources.flatMap((r) => r.security.scopes))].sort();

/**
 * Which scopes the API's resources need. A token without them is refused by
 * the gateway with 403 insufficient_scope, a surprise unless said before the
 * keys are made: the consumer's keys must allow them and the client must ask
 * for them.
 */
export function RequiredScopes({ apis }: { apis: ApiWithResources[] }) {
  const needing = apis.map((api) => ({ api, scopes: requiredScopes(api) })).filter((a) => a.scopes.length > 0);
  if (needing.length === 0) return null;
  return (
    <Notice title="Scopes the API needs" aria-label="Scopes the API needs">
      {needing.map(({ api, scopes }) => (
        <Group key={api.displayName} gap={6} mb={4}>
          <Text size="sm">{api.displayName}:</Text>
          {scopes.map((s) => (
            <Code key={s}>{s}</Code>
          ))}
        </Group>
      ))}
      <Text size="sm">
        A token without them is refused with 403 <Code>insufficient_scope</Code>. Allow them in the consumer's keys (Advanced Configurations → Scopes) and request them when getting a token (
        <Code>scope=…</Code>).
      </Text>
    </Notice>
  );
}
