import { Anchor, Badge, Card, Group, Text } from '@mantine/core';
import { Link } from 'react-router';
import { useOrgHandle } from '../../orgs/orgs';
import { COMPONENT_TYPES, componentPath, componentTypeLabel, type Component, type ComponentType } from './queries';

/** One component of the project: its kind, display name (the link to its page), name and description. */
export function ComponentCard({ project, component }: { project: string; component: Component }) {
  const org = useOrgHandle();
  return (
    <Card withBorder padding="lg" component="li">
      <Group justify="space-between" wrap="nowrap" align="flex-start">
        <Anchor component={Link} to={`/console/o/${org}/${componentPath(project, component)}`} fw={600} size="lg">
          {component.displayName}
        </Anchor>
        <Badge variant="light" color={COMPONENT_TYPES[component.type as ComponentType]?.color ?? 'gray'} style={{ flexShrink: 0 }}>
          {componentTypeLabel(component.type)}
        </Badge>
      </Group>
      <Text size="sm" c="dimmed" ff="monospace">
        {component.name}
      </Text>
      {component.description && (
        <Text size="sm" mt="xs" lineClamp={3}>
          {component.description}
        </Text>
      )}
    </Card>
  );
}
