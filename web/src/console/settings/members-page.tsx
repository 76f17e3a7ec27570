import { useState } from 'react';
import { Badge, Button, Select, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useSession } from '../../auth/session';
import { orgsKey, useCurrentOrg, useOrgHandle } from '../../orgs/orgs';
import { ApiErrorAlert } from '../../ui/api-error';
import { ConfirmDialog } from '../../ui/confirm-dialog';
import { Page } from '../../ui/page';
import { EmptyState, QueryState } from '../../ui/page-state';
import { InviteMemberModal } from './invite-member-modal';
import { keys } from '../query-keys';
import { ROLES, useMembers, type Member, type Role } from './members-queries';

/** Members: everyone sees who is in; admins invite, change roles and remove. */
export function MembersPage() {
  const org = useOrgHandle();
  const current = useCurrentOrg();
  const members = useMembers(org);
  const [inviting, setInviting] = useState(false);
  const isAdmin = current?.isAdmin ?? false;
  return (
    <Page
      title="Members"
      description="People of this organization and their roles: admins manage it, developers build with it."
      actions={isAdmin && <Button onClick={() => setInviting(true)}>Invite member</Button>}
    >
      {current && !isAdmin && (
        <Text c="dimmed" size="sm">
          Only admins can invite members, change roles or remove members.
        </Text>
      )}
      <QueryState query={members} label="members">
        {(list) => (list.length === 0 ? <EmptyState title="No members" /> : <MembersTable members={list} isAdmin={isAdmin} />)}
      </QueryState>
      {isAdmin && <InviteMemberModal opened={inviting} onClose={() => setInviting(false)} />}
    </Page>
  );
}

function MembersTable({ members, isAdmin }: { members: Member[]; isAdmin: boolean }) {
  const org = useOrgHandle();
  const me = useSession().user;
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [removing, setRemoving] = useState<Member | null>(null);

  const changeRole = useMutation({
    mutationFn: ({ member, role }: { member: Member; role: Role }) => unwrap(api.PATCH('/api/v1/orgs/{org}/members/{userId}', { params: { path: { org, userId: member.userId } }, body: { role } })),
    onSuccess: async (updated) => {
      await queryClient.invalidateQueries({ queryKey: keys.members(org) });
      // My own role changed: what this console lets me do changes with it.
      if (updated.userId === me.id) await queryClient.invalidateQueries({ queryKey: orgsKey, exact: true });
      notifications.show({ color: 'green', message: `${updated.email} is now ${updated.role}` });
    },
  });
  const remove = useMutation({
    mutationFn: (member: Member) => unwrap(api.DELETE('/api/v1/orgs/{org}/members/{userId}', { params: { path: { org, userId: member.userId } } })),
    onSuccess: async (_, member) => {
      setRemoving(null);
      notifications.show({ color: 'green', message: `${member.email} was removed from the organization` });
      if (member.userId === me.id) {
        await queryClient.invalidateQueries({ queryKey: orgsKey, exact: true });
        navigate('/console/');
        return;
      }
      await queryClient.invalidateQueries({ queryKey: keys.members(org) });
    },
  });

  return (
    <Stack>
      <ApiErrorAlert error={changeRole.error} title="The role was not changed" />
      <Table.ScrollContainer minWidth={640}>
        <Table striped aria-label="Members">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Email</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>Member since</Table.Th>
              {isAdmin && (
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              )}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {members.map((m) => (
              <Table.Tr key={m.userId}>
                <Table.Td>
                  {m.name}
                  {m.userId === me.id && (
                    <Text span c="dimmed" size="sm">
                      {' '}
                      (you)
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>{m.email}</Table.Td>
                <Table.Td>
                  {isAdmin ? (
                    <Select
                      aria-label={`Role of ${m.email}`}
                      data={ROLES}
                      value={m.role}
                      allowDeselect={false}
                      w={150}
                      disabled={changeRole.isPending && changeRole.variables?.member.userId === m.userId}
                      onChange={(role) => {
                        if (role && role !== m.role) changeRole.mutate({ member: m, role: role as Role });
                      }}
                    />
                  ) : (
                    <Badge variant="light" color={m.role === 'admin' ? 'indigo' : 'gray'}>
                      {m.role}
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>{new Date(m.since).toLocaleDateString()}</Table.Td>
                {isAdmin && (
                  <Table.Td>
                    <Button
                      variant="subtle"
                      color="red"
                      size="compact-sm"
                      aria-label={`Remove ${m.email}`}
                      onClick={() => {
                        remove.reset();
                        setRemoving(m);
                      }}
                    >
                      Remove
                    </Button>
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <ConfirmDialog
        opened={removing !== null}
        onClose={() => setRemoving(null)}
        title="Remove member?"
        confirmLabel={`Remove ${removing?.email ?? 'member'}`}
        onConfirm={() => removing && remove.mutate(removing)}
        mutation={remove}
        errorTitle="The member was not removed"
      >
        <Text size="sm">
          <b>{removing?.email}</b> will lose access to this organization{removing?.userId === me.id ? ', and so will you' : ''}. Their account stays.
        </Text>
      </ConfirmDialog>
    </Stack>
  );
}
