import { Badge, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import type { TryItResult } from '../queries';
import { CodeBlock } from '../ui/code-block';

const statusColor = (status: number) => (status < 300 ? 'green' : status < 400 ? 'blue' : status < 500 ? 'orange' : 'red');

/** JSON bodies pretty-printed; anything else as it came. */
function prettyBody(result: TryItResult['response']): string {
  if (result.bodyEncoding === 'base64') return result.body;
  const type = result.headers.find((h) => h.name === 'content-type')?.value ?? '';
  if (!result.truncated && /json/i.test(type)) {
    try {
      return JSON.stringify(JSON.parse(result.body), null, 2);
    } catch {
      /* as it came */
    }
  }
  return result.body;
}

/** The call Try it made (as curl, the token redacted) and the gateway's answer. */
export function TryItResultView({ result }: { result: TryItResult }) {
  const { request, response } = result;
  return (
    <Stack>
      <Paper withBorder p="md" radius="md" component="section" aria-label="Request">
        <Title order={4} mb="sm">
          Request
        </Title>
        <CodeBlock label="curl" code={request.curl} />
        <Text size="xs" c="dimmed" mt={4}>
          Set ACCESS_TOKEN to a token of the application first; the one used here is not shown.
        </Text>
      </Paper>
      <Paper withBorder p="md" radius="md" component="section" aria-label="Response">
        <Group justify="space-between" mb="sm">
          <Title order={4}>Response</Title>
          <Group gap="xs">
            <Badge size="lg" color={statusColor(response.status)} aria-label="Response status">
              {response.status}
            </Badge>
            <Text size="sm" c="dimmed">
              {response.durationMs} ms
            </Text>
          </Group>
        </Group>
        <Table aria-label="Response headers" withRowBorders={false} verticalSpacing={2} mb="md">
          <Table.Tbody>
            {response.headers.map((h, i) => (
              <Table.Tr key={i}>
                <Table.Td w={220}>
                  <Text size="sm" ff="monospace" fw={500}>
                    {h.name}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
                    {h.value}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <CodeBlock label="Response body" code={prettyBody(response)} maxHeight={480} />
        {response.truncated && (
          <Text size="xs" c="orange" mt={4}>
            Only the first 256 KiB of the body are shown.
          </Text>
        )}
        {response.bodyEncoding === 'base64' && (
          <Text size="xs" c="dimmed" mt={4}>
            The body is not text; it is shown in base64.
          </Text>
        )}
      </Paper>
    </Stack>
  );
}
