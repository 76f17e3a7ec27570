import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useOrgHandle } from '../../orgs/orgs';
import { ApiErrorAlert } from '../../ui/api-error';
import { keys } from '../query-keys';

/** Delete, after a confirmation; a provider still used by external keys is refused with the API's message. */
export function IdpDeleteButton({ name }: { name: string }) {
  const org = useOrgHandle();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [opened, { open, close }] = useDisclosure();
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/orgs/{org}/identity-providers/{idp}', { params: { path: { org, idp: name } } })),
    onSuccess: async () => {
      close();
      queryClient.removeQueries({ queryKey: keys.identityProvider(org, name) });
      await queryClient.invalidateQueries({ queryKey: keys.identityProviders(org), exact: true });
      notifications.show({ color: 'green', message: `Identity provider "${name}" deleted` });
      navigate(`/console/o/${org}/settings/identity-providers`);
    },
  });
  return (
    <>
      <Button color="red" variant="light" onClick={open}>Delete</Button>
      <Modal opened={opened} onClose={() => { close(); remove.reset(); }} title={`Delete identity provider "${name}"?`}>
        <Stack>
          <Text size="sm">Tokens of this provider will no longer be exchanged or accepted by the gateway. This cannot be undone.</Text>
          <ApiErrorAlert error={remove.error} title="The identity provider was not deleted" />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => { close(); remove.reset(); }}>Cancel</Button>
            <Button color="red" onClick={() => remove.mutate()} loading={remove.isPending}>Delete provider</Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
