import { useState } from 'react';
import { Button, Group, Modal, Select, Stack, Text } from '@mantine/core';
import { ApiErrorAlert } from '../../ui/api-error';

const GRACE = [
  { value: '0', label: 'Stop at once' },
  { value: '3600', label: 'Keep working for 1 hour' },
  { value: '86400', label: 'Keep working for 1 day' },
  { value: '604800', label: 'Keep working for 7 days' },
];

/** Confirm Regenerate Secret, with how long the old secret keeps working. */
export function RegenerateSecretModal({ opened, label, onClose, onConfirm, pending, error }: {
  opened: boolean;
  label: string;
  onClose: () => void;
  onConfirm: (gracePeriod: number) => void;
  pending: boolean;
  error: unknown;
}) {
  const [grace, setGrace] = useState('0');
  return (
    <Modal opened={opened} onClose={onClose} title={`Regenerate the secret of the ${label}?`}>
      <Stack>
        <Text size="sm">A new consumer secret is made and shown once. Clients using the current one must be given the new one.</Text>
        <Select label="The current secret" data={GRACE} value={grace} onChange={(v) => setGrace(v ?? '0')} allowDeselect={false} />
        <ApiErrorAlert error={error} title="The secret was not regenerated" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button color="orange" onClick={() => onConfirm(Number(grace))} loading={pending}>Regenerate</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
