import type { ReactNode } from 'react';
import { Button, Group, Modal, Stack } from '@mantine/core';
import { ApiErrorAlert } from './api-error';

/** What the dialog needs of the mutation it confirms; `reset()` clears its error when the dialog closes. */
export interface ConfirmMutation {
  isPending: boolean;
  error: unknown;
  reset(): void;
}

/**
 * The one confirmation before a destructive or visible action. A dialog named
 * by its title; the confirm button is named by the action ("Delete
 * weather-app"), so a screen reader and a test both know what it does. Cancel
 * holds the focus first. Closing it (Cancel, Escape, the close button) clears
 * the mutation's error, so reopening shows a clean dialog.
 */
export function ConfirmDialog({
  opened,
  onClose,
  title,
  confirmLabel,
  onConfirm,
  mutation,
  errorTitle,
  color = 'red',
  children,
}: {
  opened: boolean;
  onClose: () => void;
  title: string;
  /** The confirm button's text, naming the action and its object: "Delete weather-app". */
  confirmLabel: string;
  onConfirm: () => void;
  mutation: ConfirmMutation;
  /** The title of the alert when the action fails ("The connection was not deleted"). */
  errorTitle: string;
  color?: string;
  children: ReactNode;
}) {
  const close = () => {
    mutation.reset();
    onClose();
  };
  return (
    <Modal opened={opened} onClose={close} title={title}>
      <Stack>
        {children}
        <ApiErrorAlert error={mutation.error} title={errorTitle} />
        <Group justify="flex-end">
          <Button variant="default" onClick={close} data-autofocus>
            Cancel
          </Button>
          <Button color={color} loading={mutation.isPending} onClick={onConfirm}>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
