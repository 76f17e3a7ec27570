import { Button, Center, Stack, Text, Title } from '@mantine/core';
import { useLocation, useRouteError } from 'react-router';
import { ApiErrorAlert } from './api-error';
import { useDocumentTitle } from './page-title';

/** The router's error element: a page that failed to render (or a 404 thrown by a loader). */
export function RouteError() {
  const error = useRouteError() as { status?: number } | Error | undefined;
  return <Fallback notFound={(error as { status?: number } | undefined)?.status === 404} error={error} />;
}

/** The page for an address no route matches (a plain element: only error elements may ask the router for an error). */
export function NotFoundPage() {
  return <Fallback notFound />;
}

function Fallback({ notFound, error }: { notFound: boolean; error?: unknown }) {
  const inPortal = useLocation().pathname.startsWith('/portal');
  useDocumentTitle([notFound ? 'Page not found' : 'This page failed']);
  return (
    <Center mih="60vh" px="md">
      <Stack align="center" maw={560}>
        <Title order={2}>{notFound ? 'Page not found' : 'This page failed'}</Title>
        {notFound ? <Text c="dimmed">There is no page at this address.</Text> : <ApiErrorAlert error={error} />}
        <Button component="a" href={inPortal ? '/portal/' : '/console/'}>
          {inPortal ? 'Back to the portal' : 'Back to the console'}
        </Button>
      </Stack>
    </Center>
  );
}
