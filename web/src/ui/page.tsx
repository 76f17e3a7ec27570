import { useEffect, useRef, type ReactNode } from 'react';
import { Group, Stack, Text, Title } from '@mantine/core';
import { useLocation } from 'react-router';
import { useDocumentTitle } from './page-title';

/**
 * A page: its title (the page's main heading), an optional description and actions.
 * It names the browser tab (`documentTitle`, most specific first, default the
 * title; the organization is added) and, when reached by navigation, moves the
 * focus to its heading so a screen reader announces the new page.
 */
export function Page({
  title,
  documentTitle,
  description,
  actions,
  children,
}: {
  title: string;
  documentTitle?: readonly (string | undefined)[];
  description?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
}) {
  useDocumentTitle(documentTitle ?? [title]);
  const heading = useRef<HTMLHeadingElement>(null);
  const location = useLocation();
  // biome-ignore lint/correctness/useExhaustiveDependencies: only when the page appears; tabs inside a page change the location but keep the focus where it is.
  useEffect(() => {
    // Not on the first page load (location key "default"), and not over a field that took the focus itself (autofocus).
    if (location.key === 'default') return;
    if (document.activeElement?.matches('input, textarea, select, [role="dialog"] *')) return;
    heading.current?.focus();
  }, []);
  return (
    <Stack gap="lg">
      <Group justify="space-between" align="flex-start">
        <div>
          <Title order={2} ref={heading} tabIndex={-1} style={{ outline: 'none' }}>
            {title}
          </Title>
          {description && (
            <Text c="dimmed" mt={4}>
              {description}
            </Text>
          )}
        </div>
        {actions && <Group gap="xs">{actions}</Group>}
      </Group>
      {children}
    </Stack>
  );
}
