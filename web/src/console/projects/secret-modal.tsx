import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import { CopyValue } from '../../ui/copy-value';

export interface RevealedKeys {
  clientId: string;
  clientSecret: string;
  tokenEndpoint?: string;
}

/**
 * The consumer key and secret, shown once right after Generate Keys or
 * Regenerate Secret. The secret lives only in this component's props (memory):
 * closing the dialog drops it for good.
 */
export function SecretModal({ keys, environment, regenerated, onClose }: { keys: RevealedKeys | undefined; environment: string; regenerated: boolean; onClose: () => void }) {
  return (
    <Modal opened={!!keys} onClose={onClose} title={regenerated ? `New secret for ${environment}` : `Keys for ${environment}`} size="xl" closeOnClickOutside={false}>
      {keys && (
        <Stack>
          <Alert color="yellow" title="Copy the secret now" role="alert">
            You will not see this secret again. Only its hash is stored; if you lose it, regenerate it.
          </Alert>
          <CopyValue label="Consumer Key" value={keys.clientId} />
          <CopyValue label="Consumer Secret" value={keys.clientSecret} secret />
          {keys.tokenEndpoint && <CopyValue label="Token Endpoint" value={keys.tokenEndpoint} />}
          {regenerated && (
            <Text size="sm" c="dimmed">
              Clients must switch to the new secret; the old one stops working as you chose.
            </Text>
          )}
          <Group justify="flex-end">
            <Button onClick={onClose}>I have copied the secret</Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
