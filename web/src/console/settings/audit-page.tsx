import { useState } from 'react';
import { Button, Code, Group, Stack, Table, Text, Tooltip } from '@mantine/core';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type ResponseOf } from '../../api/client';
import { useOrgHandle } from '../../orgs/orgs';
import { keys } from '../query-keys';
import { Page } from '../../ui/page';
import { EmptyState, QueryState } from '../../ui/page-state';
import { AdminsOnly, WithOrg } from './admin-only';

type AuditEvent = ResponseOf<'/api/v1/orgs/{org}/audit', 'get'>[number];

/** Events per page (the API allows 1-500). */
const AUDIT_PAGE_SIZE = 25;

const DESCRIPTION = 'Every change made in this organization, newest first.';

/** The organization's audit log, for admins. */
export function AuditPage() {
  return (
    <Page title="Audit log" description={DESCRIPTION}>
      <WithOrg>{(current) => (current.isAdmin ? <AuditLog /> : <AdminsOnly>Only admins of this organization can read its audit log.</AdminsOnly>)}</WithOrg>
    </Page>
  );
}

async function fetchPage(org: string, cursor: string | undefined) {
  const call = api.GET('/api/v1/orgs/{org}/audit', { params: { path: { org }, query: { limit: String(AUDIT_PAGE_SIZE), ...(cursor && { cursor }) } } });
  const events = await unwrap(call);
  // The next page's cursor travels in a response header; absent on the last page.
  const next = (await call).response.headers.get('x-next-cursor') ?? undefined;
  return { events, next };
}

function AuditLog() {
  const org = useOrgHandle();
  const queryClient = useQueryClient();
  // The cursors of the pages visited: the last one is shown (undefined: the newest page).
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useQuery({
    queryKey: [...keys.audit(org), AUDIT_PAGE_SIZE, cursor ?? null],
    queryFn: () => fetchPage(org, cursor),
    placeholderData: keepPreviousData,
  });
  const pageNumber = cursors.length;
  return (
    <QueryState query={page} label="audit log">
      {({ events, next }) => (
        <Stack>
          {events.length === 0 ? (
            <EmptyState title={pageNumber === 1 ? 'No events yet' : 'No more events'}>
              <Text size="sm">Changes to members, projects, APIs, identity providers and environments appear here.</Text>
            </EmptyState>
          ) : (
            <AuditTable events={events} />
          )}
          <Group justify="space-between">
            <Button
              variant="default"
              onClick={() => {
                setCursors([undefined]);
                void queryClient.invalidateQueries({ queryKey: keys.audit(org) });
              }}
            >
              Refresh
            </Button>
            <Group gap="xs" aria-label="Pages" role="navigation">
              <Button variant="default" disabled={pageNumber === 1 || page.isPlaceholderData} onClick={() => setCursors((c) => c.slice(0, -1))}>
                Newer
              </Button>
              <Text size="sm" aria-live="polite">
                Page {pageNumber}
              </Text>
              <Button variant="default" disabled={!next || page.isPlaceholderData} onClick={() => next && setCursors((c) => [...c, next])}>
                Older
              </Button>
            </Group>
          </Group>
        </Stack>
      )}
    </QueryState>
  );
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

function AuditTable({ events }: { events: AuditEvent[] }) {
  return (
    <Table.ScrollContainer minWidth={760}>
      <Table striped aria-label="Audit events" verticalSpacing="xs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Time</Table.Th>
            <Table.Th>Actor</Table.Th>
            <Table.Th>Action</Table.Th>
            <Table.Th>Target</Table.Th>
            <Table.Th>Details</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {events.map((e) => (
            <Table.Tr key={e.id}>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                <Tooltip label={e.createdAt}>
                  <time dateTime={e.createdAt}>{new Date(e.createdAt).toLocaleString()}</time>
                </Tooltip>
              </Table.Td>
              <Table.Td>{e.actor}</Table.Td>
              <Table.Td>
                <Code>{e.action}</Code>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{e.targetType}</Text>
                {e.targetId && (
                  <Text size="xs" c="dimmed" ff="monospace">
                    {e.targetId}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                {Object.entries(e.details).map(([k, v]) => (
                  <Text key={k} size="xs">
                    <Text span c="dimmed" size="xs">
                      {k}:
                    </Text>{' '}
                    {show(v)}
                  </Text>
                ))}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
