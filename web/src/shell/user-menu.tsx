import { Button, Menu } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, setCsrfToken, unwrap } from '../api/client';
import { useSession } from '../auth/session';

export function UserMenu({ area }: { area: 'console' | 'portal' }) {
  const { user } = useSession();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const signOut = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/auth/logout')),
    onSettled: () => {
      setCsrfToken(undefined);
      queryClient.clear();
      navigate(`/${area}/login`, { replace: true });
    },
  });
  return (
    <Menu position="bottom-end">
      <Menu.Target>
        <Button variant="subtle" aria-label={`Account: ${user.email}`}>{user.name || user.email}</Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>{user.email}</Menu.Label>
        <Menu.Item onClick={() => signOut.mutate()}>Sign out</Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
