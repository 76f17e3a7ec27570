import { useState } from 'react';
import { Select, Text } from '@mantine/core';
import { fieldError } from '../../ui/api-error';
import { ConfirmDialog, type ConfirmMutation } from '../../ui/confirm-dialog';

const GRACE_PERIODS = [
  { value: '0', label: 'Stops working now' },
  { value: '3600', label: 'Keeps working for 1 hour' },
  { value: '86400', label: 'Keeps working for 24 hours' },
  { value: '604800', label: 'Keeps working for 7 days' },
];

/** The confirmation of Regenerate Secret, with how long the old secret keeps working. */
export function RegenerateSecretModal({
  opened,
  environment,
  mutation,
  onConfirm,
  onClose,
}: {
  opened: boolean;
  environment: string;
  mutation: ConfirmMutation;
  onConfirm: (gracePeriod: number) => void;
  onClose: () => void;
}) {
  const [grace, setGrace] = useState('0');
  return (
    <ConfirmDialog
      opened={opened}
      onClose={onClose}
      title={`Regenerate the secret for ${environment}?`}
      confirmLabel={`Regenerate the ${environment} secret`}
      color="orange"
      onConfirm={() => onConfirm(Number(grace))}
      mutation={mutation}
      errorTitle="The secret was not regenerated"
    >
      <Text>A new secret replaces the current one. Every client that uses the current secret must switch to the new one.</Text>
      <Select label="The current secret" data={GRACE_PERIODS} value={grace} onChange={(v) => setGrace(v ?? '0')} allowDeselect={false} error={fieldError(mutation.error, 'gracePeriod')} />
    </ConfirmDialog>
  );
}
