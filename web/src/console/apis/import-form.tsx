import { useState, type FormEvent } from 'react';
import { Button, FileInput, Group, Stack, Text, TextInput } from '@mantine/core';
import { ApiErrorAlert, fieldError } from '../../ui/api-error';
import { useImportApi } from './mutations';
import type { ApiRef } from './queries';

/** Largest file read in the browser; the API takes documents up to about this size. */
const MAX_FILE_BYTES = 900_000;

/**
 * Import an OpenAPI 3 document from a file (read in the browser, sent as
 * text) or from a URL (fetched by the server). For an API not defined yet,
 * asks for its context path and version too.
 */
export function ImportForm({
  apiRef,
  source,
  basePath,
  onDone,
}: {
  apiRef: ApiRef;
  source: 'file' | 'url';
  /** Defaults for an API not defined yet; absent: the API keeps its own. */
  basePath?: { contextPath: string; version: string };
  onDone?: () => void;
}) {
  const [file, setFile] = useState<File | null>(null);
  const [url, setUrl] = useState('');
  const [contextPath, setContextPath] = useState(basePath?.contextPath ?? '');
  const [version, setVersion] = useState(basePath?.version ?? '');
  const [localError, setLocalError] = useState<string>();
  const importApi = useImportApi(apiRef);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setLocalError(undefined);
    let body: { document: string } | { url: string };
    if (source === 'file') {
      if (!file) return setLocalError('Choose an OpenAPI file (JSON or YAML)');
      if (file.size > MAX_FILE_BYTES) return setLocalError(`The file is larger than ${Math.round(MAX_FILE_BYTES / 1000)} kB`);
      body = { document: await file.text() };
    } else {
      if (!url.trim()) return setLocalError('Enter the URL of an OpenAPI document');
      body = { url: url.trim() };
    }
    importApi.mutate({ ...body, ...(basePath && { contextPath, version }) }, { onSuccess: () => onDone?.() });
  }

  const error = importApi.error;
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        {source === 'file' ? (
          <FileInput
            label="OpenAPI file"
            description="An OpenAPI 3 document, JSON or YAML. It is kept and served as given."
            placeholder="Choose a .json, .yaml or .yml file"
            accept=".json,.yaml,.yml,application/json,application/yaml,text/yaml"
            value={file}
            onChange={setFile}
            clearable
            error={localError ?? fieldError(error, 'document')}
          />
        ) : (
          <TextInput
            label="OpenAPI URL"
            description="The server fetches it (https; public addresses only)."
            placeholder="https://example.com/openapi.yaml"
            value={url}
            onChange={(e) => setUrl(e.currentTarget.value)}
            error={localError ?? fieldError(error, 'url')}
          />
        )}
        {basePath && (
          <Group grow align="flex-start">
            <TextInput label="Context path" withAsterisk value={contextPath} onChange={(e) => setContextPath(e.currentTarget.value)} error={fieldError(error, 'contextPath')} />
            <TextInput label="Version" withAsterisk value={version} onChange={(e) => setVersion(e.currentTarget.value)} error={fieldError(error, 'version')} />
          </Group>
        )}
        {error && <ApiErrorAlert error={error} title="The import failed" />}
        <Group justify="space-between">
          <Text size="xs" c="dimmed">
            The document's operations replace the API's resources, with their security and scopes.
          </Text>
          <Button type="submit" loading={importApi.isPending}>
            Import
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
