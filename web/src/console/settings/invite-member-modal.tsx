import { useState } from 'react';
import { Alert, Button, Group, Modal, Select, Stack, Text, TextInput } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type ResponseOf } from '../../api/client';
import { useOrgHandle } from '../../orgs/orgs';
import { ApiErrorAlert, fieldError } from '../../ui/api-error';
import { CopyValue } from '../../ui/copy-value';
import { useOneTimeSecret } from '../../ui/use-one-time-secret';
import { keys } from '../query-keys';
import { ROLES, type Role } from './members-queries';

type Added = ResponseOf<'/api/v1/orgs/{org}/members', 'post'>;

/** Invite member: an existing user is added; a new one is created and their temporary password shown once. */
export function InviteMemberModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  return (
    <Modal opened={opened} onClose={onClose} title="Invite a member" size="lg">
      {/* Mounted only while open: closing forgets the form and the temporary password. */}
      {opened && <InviteForm onClose={onClose} />}
    </Modal>
  );
}

function InviteForm({ onClose }: { onClose: () => void }) {
  const org = useOrgHandle();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('developer');
  // The temporary password leaves the mutation cache when the form unmounts (the modal closes).
  const invite = useOneTimeSecret({
    mutationFn: () => unwrap(api.POST('/api/v1/orgs/{org}/members', { params: { path: { org } }, body: { email: email.trim(), role, name: name.trim() || undefined } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.members(org) }),
  });
  if (invite.data) return <Invited added={invite.data} onClose={onClose} />;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (email.trim()) invite.mutate();
      }}
    >
      <Stack>
        <TextInput label="Email" type="email" required autoFocus value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={fieldError(invite.error, 'email')} />
        <TextInput
          label="Name"
          description="For someone new; by default the part of the email before @"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={fieldError(invite.error, 'name')}
        />
        <Select
          label="Role"
          description="Admins manage members, identity providers and environments, and read the audit log"
          data={ROLES}
          value={role}
          onChange={(v) => v && setRole(v as Role)}
          allowDeselect={false}
          error={fieldError(invite.error, 'role')}
        />
        <ApiErrorAlert error={invite.error} title="The member was not invited" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={invite.isPending} disabled={!email.trim()}>
            Invite
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function Invited({ added, onClose }: { added: Added; onClose: () => void }) {
  return (
    <Stack>
      {added.temporaryPassword ? (
        <>
          <Text>
            <b>{added.email}</b> was invited as {added.role}. Give them this temporary password to sign in.
          </Text>
          <CopyValue label="Temporary password" value={added.temporaryPassword} secret />
          <Alert color="yellow" title="Shown only once">
            You will not see this password again. Send it to them through a channel you trust.
          </Alert>
        </>
      ) : (
        <Text>
          <b>{added.email}</b> already had an account and was added as {added.role}.
        </Text>
      )}
      <Group justify="flex-end">
        <Button onClick={onClose} data-autofocus>
          Done
        </Button>
      </Group>
    </Stack>
  );
}
