import { useState, type FormEvent } from 'react';
import { Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { ApiErrorAlert, fieldError } from '../../ui/api-error';
import { CopyValue } from '../../ui/copy-value';
import { PageLoader } from '../../ui/page-state';
import { apiPath } from './mutations';
import { ParameterInputs, paramsBody, type ParameterNeed, type ParameterValue } from './parameter-inputs';
import { keys } from '../query-keys';
import type { Environment } from '../projects/queries';
import { useDeploymentPlan, usePromotion, type ApiDefinition, type ApiRef } from './queries';
import { useDebounced } from './use-debounced';

/** Promote: the revision running in `from` goes to the next environment, with that environment's values. */
export function PromoteModal({
  apiRef,
  definition,
  from,
  to,
  opened,
  onClose,
}: {
  apiRef: ApiRef;
  definition: ApiDefinition;
  from: Environment;
  to: Environment;
  opened: boolean;
  onClose: () => void;
}) {
  return (
    <Modal opened={opened} onClose={onClose} size="lg" title={`Promote from ${from.displayName} to ${to.displayName}`}>
      {opened && <PromoteForm apiRef={apiRef} definition={definition} from={from} to={to} onDone={onClose} />}
    </Modal>
  );
}

function PromoteForm({ apiRef, definition, from, to, onDone }: { apiRef: ApiRef; definition: ApiDefinition; from: Environment; to: Environment; onDone: () => void }) {
  const client = useQueryClient();
  const promotion = usePromotion(apiRef, from.name);
  const saved = definition.backendUrls[to.name] ?? '';
  const [backendUrl, setBackendUrl] = useState(saved);
  const settledUrl = useDebounced(backendUrl.trim());
  const plan = useDeploymentPlan(apiRef, to.name, { revision: promotion.data?.revision, backendUrl: settledUrl || undefined, enabled: !!promotion.data });
  const [values, setValues] = useState<Record<string, ParameterValue>>({});
  // Secret when the promotion says so (secret where it runs now) or the target stores it sealed.
  const needs: ParameterNeed[] = (plan.data?.parameters ?? []).map((p) => {
    const secret = p.secret || !!promotion.data?.parameters.find((q) => q.name === p.name)?.secret;
    return { ...p, secret, value: secret ? undefined : p.value };
  });

  const promote = useMutation({
    // The backend URL goes with the promotion; the server keeps it on the API in the same transaction.
    mutationFn: () => {
      const url = backendUrl.trim();
      return unwrap(
        api.POST('/api/v1/orgs/{org}/projects/{project}/components/{component}/api/promote', {
          params: apiPath(apiRef),
          body: { from: from.name, params: paramsBody(needs, values), reuseStoredValues: true, ...(url !== saved && { backendUrl: url, saveBackendUrl: true }) },
        }),
      );
    },
    onSettled: () => client.invalidateQueries({ queryKey: keys.api(apiRef) }),
    onSuccess: onDone,
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    promote.mutate();
  }

  if (promotion.isPending) return <PageLoader label="promotion" />;
  if (promotion.isError) return <ApiErrorAlert error={promotion.error} title="Could not load: promotion" />;
  const error = promote.error;
  return (
    <form onSubmit={submit} noValidate aria-label={`Promote to ${to.displayName}`}>
      <Stack gap="md">
        <Text size="sm">
          Revision {promotion.data.revision}, which runs in {from.displayName}, will run in {to.displayName} with {to.displayName}'s values.
        </Text>
        {plan.data && <CopyValue label="Endpoint URL" value={plan.data.endpointUrl} />}
        <TextInput
          label="Backend URL"
          description={`Where the gateway sends the requests in ${to.displayName}; may use \${parameter}. Saved on the API when the promotion succeeds.`}
          withAsterisk
          value={backendUrl}
          onChange={(e) => setBackendUrl(e.currentTarget.value)}
          error={fieldError(error, 'backendUrl') ?? fieldError(error, `backendUrls.${to.name}`)}
        />
        {plan.isPending ? (
          <PageLoader label="parameters" />
        ) : plan.isError ? (
          <ApiErrorAlert error={plan.error} title="Could not load: parameters" />
        ) : (
          <ParameterInputs needs={needs} values={values} onChange={setValues} error={error} />
        )}
        {error && <ApiErrorAlert error={error} title="The promotion failed" />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={promote.isPending} disabled={!plan.data}>{`Promote to ${to.displayName}`}</Button>
        </Group>
      </Stack>
    </form>
  );
}
