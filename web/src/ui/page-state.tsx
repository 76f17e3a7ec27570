import type { ReactNode } from 'react';
import { Center, Loader, Stack, Text } from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import { ApiErrorAlert } from './api-error';

export function PageLoader({ label = 'Loading' }: { label?: string }) {
  return (
    <Center py="xl" role="status" aria-live="polite">
      <Loader aria-label={label} />
    </Center>
  );
}

/** An empty list: what is missing and what to do about it. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <Stack align="center" gap="xs" py="xl" c="dimmed">
      <Text fw={600}>{title}</Text>
      {children}
    </Stack>
  );
}

/** Renders a query's loading and error states, and `children(data)` once it has data. */
export function QueryState<T>({ query, label, children }: { query: UseQueryResult<T>; label?: string; children: (data: T) => ReactNode }) {
  if (query.isPending) return <PageLoader label={label} />;
  if (query.isError) return <ApiErrorAlert error={query.error} title={label ? `Could not load: ${label}` : undefined} />;
  return <>{children(query.data)}</>;
}
