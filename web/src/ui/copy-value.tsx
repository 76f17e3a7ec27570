import { useState } from 'react';
import { ActionIcon, Button, CopyButton, Group, Text, TextInput, Tooltip } from '@mantine/core';

/** A read-only value with a copy button; a secret is masked until shown. */
export function CopyValue({ label, value, secret = false }: { label: string; value: string; secret?: boolean }) {
  const [shown, setShown] = useState(!secret);
  return (
    <Group align="flex-end" gap="xs" wrap="nowrap">
      <TextInput
        label={label}
        value={shown ? value : '•'.repeat(Math.min(value.length, 32))}
        readOnly
        style={{ flex: 1 }}
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
      />
      {secret && (
        <Button variant="default" onClick={() => setShown((s) => !s)} aria-label={`${shown ? 'Hide' : 'Show'} ${label}`}>
          {shown ? 'Hide' : 'Show'}
        </Button>
      )}
      <CopyText label={label} value={value} />
    </Group>
  );
}

/** A button that copies `value`, named "Copy <label>". */
export function CopyText({ label, value, children }: { label: string; value: string; children?: string }) {
  return (
    <CopyButton value={value}>
      {({ copied, copy }) =>
        children ? (
          <Button variant="light" onClick={copy} aria-label={`Copy ${label}`}>
            {copied ? 'Copied' : children}
          </Button>
        ) : (
          <Tooltip label={copied ? 'Copied' : 'Copy'}>
            <ActionIcon size="lg" variant="default" onClick={copy} aria-label={`Copy ${label}`} style={{ height: 36, width: 36 }}>
              <Text size="xs">{copied ? '✓' : '⧉'}</Text>
            </ActionIcon>
          </Tooltip>
        )
      }
    </CopyButton>
  );
}
