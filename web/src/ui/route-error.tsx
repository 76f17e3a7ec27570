import { Button, Center, Stack, Text, Title } from '@mantine/core';
import { useRouteError } from 'react-router';
import { ApiErrorAlert } from './api-error';
import { useDocumentTitle } from './page-title';

/** A page that failed to render, or no page at this address. */
export function RouteError({ notFound = false }: { notFound?: boolean }) {
  const error = useRouteError() as { status?: number } | Error | undefined;
  notFound ||= (error as { status?: number } | undefined)?.status === 404;
  useDocumentTitle([notFound ? 'Page not found' : 'This page failed']);
  return (
    <Center mih="60vh">
      <Stack align="center" maw={560}>
        <Title order={2}>{notFound ? 'Page not found' : 'This page failed'}</Title>
        {notFound ? <Text c="dimmed">There is no page at this address.</Text> : <ApiErrorAlert error={error} />}
        <Button component="a" href="/console/">
          Back to the console
        </Button>
      </Stack>
    </Center>
  );
}
