import { useState } from 'react';
import { Button, Menu, Modal, PasswordInput, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, setCsrfToken, unwrap } from '../api/client';
import { useSession } from '../auth/session';
import { ApiErrorAlert, fieldError } from '../ui/api-error';
import { ApiTokensModal } from './api-tokens-modal';

export function UserMenu({ area }: { area: 'console' | 'portal' }) {
  const { user } = useSession();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [changing, setChanging] = useState(false);
  const [tokens, setTokens] = useState(false);
  const signOut = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/auth/logout')),
    onSuccess: () => {
      setCsrfToken(undefined);
      queryClient.clear();
      navigate(`/${area}/login`, { replace: true });
    },
    onError: (error) => notifications.show({ color: 'red', title: 'Sign-out failed', message: error.message }),
  });
  return (
    <>
      <Menu position="bottom-end">
        <Menu.Target>
          <Button variant="subtle">{user.name || user.email}</Button>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Label>{user.email}</Menu.Label>
          <Menu.Item onClick={() => setChanging(true)}>Change password</Menu.Item>
          <Menu.Item onClick={() => setTokens(true)}>API tokens</Menu.Item>
          <Menu.Item onClick={() => signOut.mutate()}>Sign out</Menu.Item>
        </Menu.Dropdown>
      </Menu>
      <ChangePasswordModal opened={changing} onClose={() => setChanging(false)} />
      <ApiTokensModal opened={tokens} onClose={() => setTokens(false)} />
    </>
  );
}

/** Changes the signed-in user's password (a temporary one from an invitation, say). */
function ChangePasswordModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const [currentPassword, setCurrent] = useState('');
  const [newPassword, setNew] = useState('');
  const close = () => {
    setCurrent('');
    setNew('');
    change.reset();
    onClose();
  };
  const change = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/me/password', { body: { currentPassword, newPassword } })),
    gcTime: 0,
    onSuccess: () => {
      notifications.show({ color: 'green', title: 'Password changed', message: 'Use the new password the next time you sign in.' });
      close();
    },
  });
  const tooShort = newPassword.length > 0 && newPassword.length < 12;
  return (
    <Modal opened={opened} onClose={close} title="Change password">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!tooShort) change.mutate();
        }}
      >
        <Stack>
          <PasswordInput label="Current password" autoComplete="current-password" required value={currentPassword} onChange={(e) => setCurrent(e.currentTarget.value)} data-autofocus />
          <PasswordInput
            label="New password"
            autoComplete="new-password"
            required
            value={newPassword}
            onChange={(e) => setNew(e.currentTarget.value)}
            description="At least 12 characters"
            error={tooShort ? 'Use at least 12 characters' : fieldError(change.error, 'newPassword')}
          />
          <ApiErrorAlert error={change.error} title="The password was not changed" />
          <Text size="sm" c="dimmed">
            Other sessions and personal API tokens keep working.
          </Text>
          <Button type="submit" loading={change.isPending} disabled={!currentPassword || newPassword.length < 12}>
            Change password
          </Button>
        </Stack>
      </form>
    </Modal>
  );
}
