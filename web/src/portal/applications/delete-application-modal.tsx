import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { useNavigate } from 'react-router';
import { api, unwrap } from '../../api/client';
import { ApiErrorAlert } from '../../ui/api-error';
import { applicationKey, applicationsKey, portalPath, type Application } from '../queries';
import { forgetTokens } from '../test-tokens';

/** Delete an application with its keys; with subscriptions, they go too (the API's ?force=true). */
export function DeleteApplicationModal({ org, application, opened, onClose }: { org: string; application: Application; opened: boolean; onClose: () => void }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/orgs/{org}/portal/applications/{app}', {
      params: { path: { org, app: application.id }, query: application.subscriptions > 0 ? { force: 'true' } : {} },
    })),
    onSuccess: async () => {
      forgetTokens(application.id);
      queryClient.removeQueries({ queryKey: applicationKey(org, application.id) });
      await queryClient.invalidateQueries({ queryKey: applicationsKey(org), exact: true });
      notifications.show({ color: 'green', message: `Application "${application.name}" deleted` });
      navigate(portalPath(org, 'applications'));
    },
  });
  const close = () => { remove.reset(); onClose(); };
  return (
    <Modal opened={opened} onClose={close} title={`Delete application "${application.name}"?`}>
      <Stack>
        <Text size="sm">Its keys stop working at once in every environment. This cannot be undone.</Text>
        {application.subscriptions > 0 && (
          <Text size="sm" fw={500}>
            It has {application.subscriptions === 1 ? '1 subscription' : `${application.subscriptions} subscriptions`}; they are removed too, with any connection relying on them.
          </Text>
        )}
        <ApiErrorAlert error={remove.error} title="The application was not deleted" />
        <Group justify="flex-end">
          <Button variant="default" onClick={close}>Cancel</Button>
          <Button color="red" onClick={() => remove.mutate()} loading={remove.isPending}>Delete application</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
