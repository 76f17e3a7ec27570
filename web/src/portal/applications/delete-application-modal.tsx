import { Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { useNavigate } from 'react-router';
import { api, unwrap } from '../../api/client';
import { ConfirmDialog } from '../../ui/confirm-dialog';
import { applicationKey, applicationsKey, portalPath, type Application } from '../queries';
import { forgetTokens } from '../test-tokens';

/** Delete an application with its keys; with subscriptions, they go too (the API's ?force=true). */
export function DeleteApplicationModal({ org, application, opened, onClose }: { org: string; application: Application; opened: boolean; onClose: () => void }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const remove = useMutation({
    mutationFn: () =>
      unwrap(
        api.DELETE('/api/v1/orgs/{org}/portal/applications/{app}', {
          params: { path: { org, app: application.id }, query: application.subscriptions > 0 ? { force: 'true' } : {} },
        }),
      ),
    onSuccess: async () => {
      forgetTokens(application.id);
      queryClient.removeQueries({ queryKey: applicationKey(org, application.id) });
      await queryClient.invalidateQueries({ queryKey: applicationsKey(org), exact: true });
      notifications.show({ color: 'green', message: `Application "${application.name}" deleted` });
      navigate(portalPath(org, 'applications'));
    },
  });
  return (
    <ConfirmDialog
      opened={opened}
      onClose={onClose}
      title={`Delete application "${application.name}"?`}
      confirmLabel={`Delete ${application.name}`}
      onConfirm={() => remove.mutate()}
      mutation={remove}
      errorTitle="The application was not deleted"
    >
      <Text size="sm">Its keys stop working at once in every environment. This cannot be undone.</Text>
      {application.subscriptions > 0 && (
        <Text size="sm" fw={500}>
          It has {application.subscriptions === 1 ? '1 subscription' : `${application.subscriptions} subscriptions`}; they are removed too, with any connection relying on them.
        </Text>
      )}
    </ConfirmDialog>
  );
}
