import { Badge } from '@mantine/core';

const COLORS: Record<string, string> = { GET: 'blue', POST: 'green', PUT: 'orange', PATCH: 'yellow', DELETE: 'red', HEAD: 'gray', OPTIONS: 'gray' };

export function MethodBadge({ method }: { method: string }) {
  return (
    <Badge color={COLORS[method.toUpperCase()] ?? 'gray'} variant="filled" w={72} radius="sm">
      {method.toUpperCase()}
    </Badge>
  );
}
