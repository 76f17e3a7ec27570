import { useState } from 'react';
import { ActionIcon, Button, CopyButton, Group, TextInput, Tooltip } from '@mantine/core';

/** A read-only value with a copy button; a secret is masked until shown. */
export function CopyValue({ label, value, secret = false }: { label: string; value: string; secret?: boolean }) {
  const [shown, setShown] = useState(!secret);
  return (
    <Group align="flex-end" gap="xs" wrap="nowrap">
      <TextInput label={label} value={shown ? value : '•'.repeat(Math.min(value.length, 32))} readOnly style={{ flex: 1 }} styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }} />
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
              {copied ? <CheckIcon /> : <CopyIcon />}
            </ActionIcon>
          </Tooltip>
        )
      }
    </CopyButton>
  );
}

// Drawn, not a font glyph: Debian's Chromium (and many systems) lack a font for ⧉.
function CopyIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      <rect x="9" y="9" width="13" height="13" rx="2" />
      <path d="M5 15H4a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2h9a2 2 0 0 1 2 2v1" />
    </svg>
  );
}

function CheckIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      <path d="M20 6 9 17l-5-5" />
    </svg>
  );
}
