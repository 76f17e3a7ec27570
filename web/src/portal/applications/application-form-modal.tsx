import { useEffect, useState } from 'react';
import { Button, Group, Modal, Stack, Textarea, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { api, unwrap } from '../../api/client';
import { ApiErrorAlert, fieldError } from '../../ui/api-error';
import { applicationKey, applicationsKey, type Application } from '../queries';

/** Create an application (no `application`) or edit one. */
export function ApplicationFormModal({
  org,
  opened,
  onClose,
  application,
  onSaved,
}: {
  org: string;
  opened: boolean;
  onClose: () => void;
  application?: Application;
  onSaved?: (app: Application) => void;
}) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  useEffect(() => {
    if (opened) {
      setName(application?.name ?? '');
      setDescription(application?.description ?? '');
    }
  }, [opened, application]);
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: () => {
      const body = { name: name.trim(), description };
      return application
        ? unwrap(api.PATCH('/api/v1/orgs/{org}/portal/applications/{app}', { params: { path: { org, app: application.id } }, body }))
        : unwrap(api.POST('/api/v1/orgs/{org}/portal/applications', { params: { path: { org } }, body }));
    },
    onSuccess: async (saved) => {
      queryClient.setQueryData(applicationKey(org, saved.id), saved);
      await queryClient.invalidateQueries({ queryKey: applicationsKey(org), exact: true });
      notifications.show({ color: 'green', message: application ? `Application "${saved.name}" saved` : `Application "${saved.name}" created` });
      close();
      onSaved?.(saved);
    },
  });
  const close = () => {
    save.reset();
    onClose();
  };
  const blank = name.trim() === '';
  const isComponent = !!application?.component;
  return (
    <Modal opened={opened} onClose={close} title={application ? `Edit ${application.name}` : 'Create an application'}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!blank) save.mutate();
        }}
      >
        <Stack>
          <TextInput
            label="Application name"
            required
            data-autofocus
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            maxLength={200}
            disabled={isComponent}
            description={isComponent ? `Named after its component ${application!.component}` : 'Unique in this organization'}
            error={fieldError(save.error, 'name')}
          />
          <Textarea
            label="Description"
            value={description}
            onChange={(e) => setDescription(e.currentTarget.value)}
            maxLength={2000}
            autosize
            minRows={2}
            error={fieldError(save.error, 'description')}
          />
          <ApiErrorAlert error={save.error} title={application ? 'The application was not saved' : 'The application was not created'} />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending} disabled={blank}>
              {application ? 'Save' : 'Create'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
