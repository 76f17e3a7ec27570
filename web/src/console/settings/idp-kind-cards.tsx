import { Card, SimpleGrid, Text } from '@mantine/core';
import { KINDS, type IdpKind } from './idp-queries';

/** The supported kinds as cards; each card is a button named after its kind. */
export function IdpKindCards({ onChoose }: { onChoose: (kind: IdpKind) => void }) {
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} role="list" aria-label="Provider kinds">
      {KINDS.map((k) => (
        // biome-ignore lint/a11y/useSemanticElements: SimpleGrid lays out divs; the roles give the grid list semantics without restyling ul and li.
        <div role="listitem" key={k.kind}>
          <Card
            component="button"
            type="button"
            withBorder
            padding="lg"
            w="100%"
            style={{ cursor: 'pointer', textAlign: 'left' }}
            aria-label={k.label}
            aria-describedby={`kind-${k.kind}-hint`}
            onClick={() => onChoose(k.kind)}
          >
            <Text fw={600}>{k.label}</Text>
            <Text id={`kind-${k.kind}-hint`} size="sm" c="dimmed" mt={4}>
              Client ID from {k.clientIdClaims.map((c) => `"${c}"`).join(', then ')}
              {k.tokenTyping === 'claim' ? '; token type from the "typ" claim' : ''}
            </Text>
          </Card>
        </div>
      ))}
    </SimpleGrid>
  );
}
