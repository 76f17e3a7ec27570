import { useState } from 'react';
import { Select, Text } from '@mantine/core';
import { ConfirmDialog, type ConfirmMutation } from '../../ui/confirm-dialog';

const GRACE = [
  { value: '0', label: 'Stop at once' },
  { value: '3600', label: 'Keep working for 1 hour' },
  { value: '86400', label: 'Keep working for 1 day' },
  { value: '604800', label: 'Keep working for 7 days' },
];

/** Confirm Regenerate Secret, with how long the old secret keeps working. */
export function RegenerateSecretModal({
  opened,
  label,
  onClose,
  onConfirm,
  mutation,
}: {
  opened: boolean;
  label: string;
  onClose: () => void;
  onConfirm: (gracePeriod: number) => void;
  mutation: ConfirmMutation;
}) {
  const [grace, setGrace] = useState('0');
  return (
    <ConfirmDialog
      opened={opened}
      onClose={onClose}
      title={`Regenerate the secret of the ${label}?`}
      confirmLabel="Regenerate"
      color="orange"
      onConfirm={() => onConfirm(Number(grace))}
      mutation={mutation}
      errorTitle="The secret was not regenerated"
    >
      <Text size="sm">A new consumer secret is made and shown once. Clients using the current one must be given the new one.</Text>
      <Select label="The current secret" data={GRACE} value={grace} onChange={(v) => setGrace(v ?? '0')} allowDeselect={false} />
    </ConfirmDialog>
  );
}
