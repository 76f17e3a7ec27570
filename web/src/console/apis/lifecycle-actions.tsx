import { Button } from '@mantine/core';
import { api, unwrap } from '../../api/client';
import { ApiErrorAlert } from '../../ui/api-error';
import { apiPath, useApiMutation } from './mutations';
import type { ApiDefinition, ApiRef } from './queries';

/** Publish (so applications may subscribe), deprecate, publish again. */
export function LifecycleActions({ apiRef, definition }: { apiRef: ApiRef; definition: ApiDefinition }) {
  const move = useApiMutation(apiRef, (state: 'published' | 'deprecated') =>
    unwrap(api.POST('/api/v1/orgs/{org}/projects/{project}/components/{component}/api/lifecycle', { params: apiPath(apiRef), body: { state } })));
  const next = definition.lifecycle === 'published' ? 'deprecated' : 'published';
  return (
    <>
      <Button variant={next === 'published' ? 'filled' : 'default'} loading={move.isPending} onClick={() => move.mutate(next)}>
        {next === 'published' ? 'Publish' : 'Deprecate'}
      </Button>
      {move.error && <ApiErrorAlert error={move.error} title="The lifecycle did not change" />}
    </>
  );
}
