import { Box, Code, Group, Text } from '@mantine/core';
import { CopyText } from '../../ui/copy-value';

/** A block of code (a command, a JSON document) with a copy button named "Copy <label>". */
export function CodeBlock({ label, code, copy = true, maxHeight }: { label: string; code: string; copy?: boolean; maxHeight?: number }) {
  return (
    <Box>
      <Group justify="space-between" mb={4}>
        <Text size="sm" fw={500}>
          {label}
        </Text>
        {copy && <CopyText label={label} value={code} />}
      </Group>
      <Code block aria-label={label} style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all', maxHeight, overflow: 'auto' }}>
        {code}
      </Code>
    </Box>
  );
}
