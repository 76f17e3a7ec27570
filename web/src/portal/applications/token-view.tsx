import { useEffect, useState } from 'react';
import { Alert, Badge, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { claimDate, decodeJwt } from '../jwt';
import { CopyValue } from '../../ui/copy-value';
import { CodeBlock } from '../ui/code-block';

function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}

function remaining(ms: number): string {
  if (ms <= 0) return 'expired';
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h} h ${m} min left` : m > 0 ? `${m} min ${s % 60} s left` : `${s} s left`;
}

/** A platform access token: copyable, and decoded (header, claims, expiry). The token lives only in this page's memory. */
export function TokenView({ token, title = 'Test token' }: { token: string; title?: string }) {
  const decoded = decodeJwt(token);
  const now = useNow();
  const exp = claimDate(decoded?.claims.exp);
  const iat = claimDate(decoded?.claims.iat);
  return (
    <Paper withBorder p="md" radius="md" aria-label={title} component="section">
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={4}>{title}</Title>
          {exp && (
            <Badge color={exp.getTime() > now ? 'green' : 'red'} variant="light" tt="none">
              {exp.getTime() > now ? `Expires ${exp.toLocaleString()} (${remaining(exp.getTime() - now)})` : `Expired ${exp.toLocaleString()}`}
            </Badge>
          )}
        </Group>
        <CopyValue label="Access Token" value={token} secret />
        {decoded ? (
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <CodeBlock label="Header" code={JSON.stringify(decoded.header, null, 2)} copy={false} />
            <CodeBlock label="Claims" code={JSON.stringify(decoded.claims, null, 2)} copy={false} />
          </SimpleGrid>
        ) : (
          <Alert color="gray">This token is not a JWT; it cannot be decoded.</Alert>
        )}
        {iat && exp && (
          <Text size="xs" c="dimmed">
            Issued {iat.toLocaleString()}, valid for {Math.round((exp.getTime() - iat.getTime()) / 1000)} s. Send it as "Authorization: Bearer …" to the gateway.
          </Text>
        )}
      </Stack>
    </Paper>
  );
}
