import { Alert, type AlertProps } from '@mantine/core';
import type { ReactNode } from 'react';

/**
 * An informational note: a Mantine Alert with role="note", so screen readers do
 * not announce it as an alert (Mantine's default role) and getByRole('alert')
 * finds only real alerts (errors, the one-time secret warning).
 */
export function Notice({ children, color = 'blue', variant = 'light', ...props }: AlertProps & { children?: ReactNode }) {
  return (
    <Alert color={color} variant={variant} {...props} role="note">
      {children}
    </Alert>
  );
}
