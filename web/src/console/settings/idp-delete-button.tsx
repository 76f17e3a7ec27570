import { Button, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useOrgHandle } from '../../orgs/orgs';
import { ConfirmDialog } from '../../ui/confirm-dialog';
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
      <Button color="red" variant="light" onClick={open} aria-label={`Delete identity provider ${name}`}>
        Delete
      </Button>
      <ConfirmDialog
        opened={opened}
        onClose={close}
        title={`Delete identity provider "${name}"?`}
        confirmLabel={`Delete ${name}`}
        onConfirm={() => remove.mutate()}
        mutation={remove}
        errorTitle="The identity provider was not deleted"
      >
        <Text size="sm">Tokens of this provider will no longer be exchanged or accepted by the gateway. This cannot be undone.</Text>
      </ConfirmDialog>
    </>
  );
}
