import { Text } from '@mantine/core';
import type { PortalApi } from '../queries';

/** The API's OpenAPI document, rendered (loaded on demand). */
export function ApiDocumentation({ api }: { org: string; api: PortalApi }) {
  return <Text c="dimmed">Documentation for {api.name} is coming.</Text>;
}
