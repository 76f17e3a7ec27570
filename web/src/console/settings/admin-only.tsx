import { Alert } from '@mantine/core';

/** What a developer sees where only admins may look or act: a plain statement, not an error. */
export function AdminsOnly({ title = 'Admins only', children }: { title?: string; children: string }) {
  return (
    <Alert color="gray" title={title} role="note">
      {children}
    </Alert>
  );
}
