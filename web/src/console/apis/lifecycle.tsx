import { Badge } from '@mantine/core';

const COLORS: Record<string, string> = { created: 'gray', published: 'green', deprecated: 'orange' };
const LABELS: Record<string, string> = { created: 'Created', published: 'Published', deprecated: 'Deprecated' };

export function LifecycleBadge({ lifecycle }: { lifecycle: string }) {
  return (
    <Badge variant="light" color={COLORS[lifecycle] ?? 'gray'}>
      {LABELS[lifecycle] ?? lifecycle}
    </Badge>
  );
}
