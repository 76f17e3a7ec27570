import { Button, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { api, unwrap } from '../../api/client';
import { ConfirmDialog } from '../../ui/confirm-dialog';
import { apiPath, useApiMutation } from './mutations';
import type { ApiDefinition, ApiRef } from './queries';

/** Publish (so applications may subscribe), deprecate, publish again; each after a confirmation, since developers see it at once. */
export function LifecycleActions({ apiRef, definition }: { apiRef: ApiRef; definition: ApiDefinition }) {
  const move = useApiMutation(apiRef, (state: 'published' | 'deprecated') =>
    unwrap(api.POST('/api/v1/orgs/{org}/projects/{project}/components/{component}/api/lifecycle', { params: apiPath(apiRef), body: { state } })),
  );
  const [confirming, confirm] = useDisclosure();
  const next = definition.lifecycle === 'published' ? 'deprecated' : 'published';
  const action = next === 'published' ? 'Publish' : 'Deprecate';
  const name = `${definition.contextPath}/${definition.version}`;
  return (
    <>
      <Button variant={next === 'published' ? 'filled' : 'default'} onClick={confirm.open}>
        {action}
      </Button>
      <ConfirmDialog
        opened={confirming}
        onClose={confirm.close}
        title={`${action} ${name}?`}
        confirmLabel={`${action} ${name}`}
        color={next === 'published' ? 'blue' : 'orange'}
        mutation={move}
        errorTitle="The lifecycle did not change"
        onConfirm={() => move.mutate(next, { onSuccess: confirm.close })}
      >
        <Text size="sm">
          {next === 'published'
            ? 'Developers of the organization see it in the developer portal and can subscribe their applications to it.'
            : 'The developer portal marks it deprecated, so developers move away from it.'}
        </Text>
      </ConfirmDialog>
    </>
  );
}
