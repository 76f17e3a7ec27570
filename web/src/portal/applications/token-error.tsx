import { Alert, Code, Text } from '@mantine/core';
import { ApiRequestError } from '../../api/client';
import { ApiErrorAlert } from '../../ui/api-error';
import { explainTokenError } from '../token-errors';

/** A refused Generate Test Token: what went wrong in words, next to the RFC error code and the token service's description. */
export function TokenErrorAlert({ error }: { error: unknown }) {
  if (!error) return null;
  // Refusals of the management API itself (404 keys, 409 grant type) carry its own codes.
  if (!(error instanceof ApiRequestError) || !OAUTH_CODES.has(error.code)) return <ApiErrorAlert error={error} title="No test token" />;
  const e = explainTokenError(error.code, error.message);
  return (
    <Alert color="red" title={`${e.title} (${e.code})`} role="alert">
      <Text size="sm">{e.explanation}</Text>
      <Text size="xs" mt="xs" c="dimmed">
        The token service answered <Code>{e.code}</Code>: {e.detail}
      </Text>
    </Alert>
  );
}

const OAUTH_CODES = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
  'server_error',
  'temporarily_unavailable',
]);
