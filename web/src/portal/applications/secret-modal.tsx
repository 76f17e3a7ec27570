import { Alert, Button, Group, Modal, Stack } from '@mantine/core';
import type { KeysWithSecret } from '../queries';
import { CopyValue } from '../../ui/copy-value';

/**
 * The Consumer Key and Consumer Secret, right after Generate Credentials or
 * Regenerate Secret. The secret lives only in the caller's mutation result
 * (memory); Done drops it for good.
 */
export function SecretModal({ keys, regenerated, onDone }: { keys: KeysWithSecret | undefined; regenerated: boolean; onDone: () => void }) {
  return (
    <Modal opened={!!keys} onClose={onDone} title={keys && (regenerated ? `New secret: ${keys.label}` : keys.label)} size="xl" closeOnClickOutside={false} closeOnEscape={false}>
      {keys && (
        <Stack>
          <Alert color="yellow" title="Copy the secret now" role="alert">
            You will not see this secret again. Only its hash is stored; if you lose it, regenerate it.
            {regenerated && keys.previousSecretExpiresAt && ` The previous secret keeps working until ${new Date(keys.previousSecretExpiresAt).toLocaleString()}.`}
          </Alert>
          <CopyValue label="Consumer Key" value={keys.consumerKey ?? ''} />
          <CopyValue label="Consumer Secret" value={keys.consumerSecret} secret />
          <CopyValue label="Token Endpoint" value={keys.tokenEndpoint} />
          <Group justify="flex-end">
            <Button onClick={onDone}>Done</Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
