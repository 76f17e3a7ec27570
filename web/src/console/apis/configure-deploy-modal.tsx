import { useState, type FormEvent } from 'react';
import { Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { Notice } from '../../ui/notice';
import { ApiErrorAlert, fieldError } from '../../ui/api-error';
import { CopyValue } from '../../ui/copy-value';
import { PageLoader } from '../../ui/page-state';
import { apiPath } from './mutations';
import { ParameterInputs, paramsBody, type ParameterValue } from './parameter-inputs';
import { keys } from '../query-keys';
import type { Environment } from '../projects/queries';
import { useDeploymentPlan, type ApiDefinition, type ApiRef } from './queries';
import { useDebounced } from './use-debounced';

/**
 * Configure & Deploy one environment: its endpoint URL, its backend URL
 * (saved on the API, with the deploy, when changed) and a value for every `${parameter}`;
 * values the environment holds already are reused. Save & Deploy.
 */
export function ConfigureDeployModal({
  apiRef,
  definition,
  environment,
  opened,
  onClose,
}: {
  apiRef: ApiRef;
  definition: ApiDefinition;
  environment: Environment;
  opened: boolean;
  onClose: () => void;
}) {
  return (
    <Modal opened={opened} onClose={onClose} size="lg" title={`Configure & Deploy: ${environment.displayName}`}>
      {opened && <DeployForm apiRef={apiRef} definition={definition} environment={environment} onDone={onClose} />}
    </Modal>
  );
}

function DeployForm({ apiRef, definition, environment, onDone }: { apiRef: ApiRef; definition: ApiDefinition; environment: Environment; onDone: () => void }) {
  const client = useQueryClient();
  const saved = definition.backendUrls[environment.name] ?? '';
  const [backendUrl, setBackendUrl] = useState(saved);
  const settledUrl = useDebounced(backendUrl.trim());
  const plan = useDeploymentPlan(apiRef, environment.name, { backendUrl: settledUrl || undefined });
  const [values, setValues] = useState<Record<string, ParameterValue>>({});

  const deploy = useMutation({
    // The backend URL goes with the deploy: the server keeps it on the API (this environment's entry only) in the
    // deploy's transaction, so a deploy that fails changes nothing. Unchanged, the API's current one is used.
    mutationFn: () => {
      const url = backendUrl.trim();
      return unwrap(
        api.POST('/api/v1/orgs/{org}/projects/{project}/components/{component}/api/deployments', {
          params: apiPath(apiRef),
          body: {
            environment: environment.name,
            params: paramsBody(plan.data?.parameters ?? [], values),
            reuseStoredValues: true,
            ...(url !== saved && { backendUrl: url, saveBackendUrl: true }),
          },
        }),
      );
    },
    onSettled: () => client.invalidateQueries({ queryKey: keys.api(apiRef) }),
    onSuccess: onDone,
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    deploy.mutate();
  }

  const error = deploy.error;
  return (
    <form onSubmit={submit} noValidate aria-label={`Deploy to ${environment.displayName}`}>
      <Stack gap="md">
        {plan.data && <CopyValue label="Endpoint URL" value={plan.data.endpointUrl} />}
        <TextInput
          label="Backend URL"
          description="Where the gateway sends the requests in this environment; may use ${parameter}. Saved on the API when the deploy succeeds."
          withAsterisk
          value={backendUrl}
          onChange={(e) => setBackendUrl(e.currentTarget.value)}
          error={fieldError(error, 'backendUrl') ?? fieldError(error, `backendUrls.${environment.name}`)}
        />
        {plan.isPending ? (
          <PageLoader label="parameters" />
        ) : plan.isError ? (
          <ApiErrorAlert error={plan.error} title="Could not load: parameters" />
        ) : (
          <>
            <Text size="sm" c="dimmed">
              {plan.data.revision === null ? 'Deploys the current definition as a new revision.' : `Deploys revision ${plan.data.revision}.`}
              {plan.data.active ? ` Revision ${plan.data.active.revision} runs here now.` : ' Nothing runs here yet.'}
            </Text>
            <ParameterInputs needs={plan.data.parameters} values={values} onChange={setValues} error={error} />
          </>
        )}
        {definition.lifecycle === 'created' && <Notice color="gray">The API is not published yet: it runs, but applications can subscribe only once it is published.</Notice>}
        {error && <ApiErrorAlert error={error} title="The deploy failed" />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={deploy.isPending} disabled={!plan.data}>
            Save & Deploy
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
