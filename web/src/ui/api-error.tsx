import { Alert, List } from '@mantine/core';
import { ApiRequestError } from '../api/client';

/** An API error with its message and every field it names. */
export function ApiErrorAlert({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const e = error instanceof ApiRequestError ? error : undefined;
  const fields = Object.entries(e?.fields ?? {});
  return (
    <Alert color="red" title={title ?? 'Something went wrong'} role="alert">
      {e ? e.message : error instanceof Error ? error.message : String(error)}
      {fields.length > 0 && (
        <List size="sm" mt="xs">
          {fields.map(([field, message]) => (
            <List.Item key={field}>
              <code>{field}</code> {message}
            </List.Item>
          ))}
        </List>
      )}
    </Alert>
  );
}

/** The message an API error gives one form field (`fields` keys are JSON paths such as `name` or `audiences.0`). */
export function fieldError(error: unknown, field: string): string | undefined {
  if (!(error instanceof ApiRequestError)) return undefined;
  return error.fields[field] ?? Object.entries(error.fields).find(([k]) => k.startsWith(`${field}.`))?.[1];
}
