import { useState } from 'react';
import { Button, Group, Modal, Select, Stack, Text } from '@mantine/core';
import { ApiErrorAlert, fieldError } from '../../ui/api-error';

const GRACE_PERIODS = [
  { value: '0', label: 'Stops working now' },
  { value: '3600', label: 'Keeps working for 1 hour' },
  { value: '86400', label: 'Keeps working for 24 hours' },
  { value: '604800', label: 'Keeps working for 7 days' },
];

/** The confirmation of Regenerate Secret, with how long the old secret keeps working. */
export function RegenerateSecretModal({ opened, environment, pending, error, onConfirm, onClose }: {
  opened: boolean;
  environment: string;
  pending: boolean;
  error: unknown;
  onConfirm: (gracePeriod: number) => void;
  onClose: () => void;
}) {
  const [grace, setGrace] = useState('0');
  return (
    <Modal opened={opened} onClose={onClose} title={`Regenerate the secret for ${environment}?`} size="lg">
      <Stack>
        <Text>
          A new secret replaces the current one. Every client that uses the current secret must switch to the new one.
        </Text>
        <Select
          label="The current secret"
          data={GRACE_PERIODS}
          value={grace}
          onChange={(v) => setGrace(v ?? '0')}
          allowDeselect={false}
          error={fieldError(error, 'gracePeriod')}
        />
        <ApiErrorAlert error={error} title="The secret was not regenerated" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose} data-autofocus>Cancel</Button>
          <Button color="orange" loading={pending} onClick={() => onConfirm(Number(grace))}>Yes, regenerate</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
