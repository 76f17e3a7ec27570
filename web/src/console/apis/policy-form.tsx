import { useState, type FormEvent } from 'react';
import { Button, Group, MultiSelect, Select, Stack, Switch, Text } from '@mantine/core';
import { api, ApiRequestError, unwrap } from '../../api/client';
import { ApiErrorAlert } from '../../ui/api-error';
import { apiPath, useApiMutation } from './mutations';
import { cleanConfig, FieldList, secretFieldErrors, type PolicyField } from './policy-fields';
import { resourceKey, type ApiResource, type ApiRef, type PolicyAttachment, type PolicySchema } from './queries';

type Selection = 'all' | string[];

/**
 * The form of one policy, generated from its schema: where it applies (one
 * or more resources, or all of them), its phase when it has a choice, and
 * its settings. Attaches a new policy, or changes an attached one in place.
 */
export function PolicyForm({
  apiRef,
  schema,
  resources,
  initialResources,
  attachment,
  onDone,
  onCancel,
}: {
  apiRef: ApiRef;
  schema: PolicySchema;
  resources: ApiResource[];
  /** For a new attachment: the resource picked on the page, or all. */
  initialResources: Selection;
  attachment?: PolicyAttachment;
  onDone: () => void;
  onCancel: () => void;
}) {
  const [selection, setSelection] = useState<Selection>(attachment?.resources ?? initialResources);
  const [phase, setPhase] = useState<string>(attachment?.phase ?? schema.phases[0] ?? 'request');
  const [config, setConfig] = useState<Record<string, unknown>>(attachment?.config ?? {});
  const [lastSome, setLastSome] = useState<string[]>(Array.isArray(selection) ? selection : []);
  // Secret settings are checked before sending (a literal secret never leaves the browser), then as they change.
  const [checked, setChecked] = useState(false);
  const fields = schema.fields as unknown as PolicyField[];
  const localErrors = checked ? secretFieldErrors(fields, config) : {};

  const save = useApiMutation(apiRef, (body: { policy: string; resources: Selection; phase: 'request' | 'response'; config: Record<string, unknown> }) =>
    attachment
      ? unwrap(api.PUT('/api/v1/orgs/{org}/projects/{project}/components/{component}/api/policies/{attachment}', { params: { path: { ...apiPath(apiRef).path, attachment: attachment.id } }, body }))
      : unwrap(api.POST('/api/v1/orgs/{org}/projects/{project}/components/{component}/api/policies', { params: apiPath(apiRef), body })),
  );

  function submit(event: FormEvent) {
    event.preventDefault();
    setChecked(true);
    if (Object.keys(secretFieldErrors(fields, config)).length) return;
    save.mutate({ policy: schema.ref, resources: selection, phase: phase as 'request', config: cleanConfig(config) as Record<string, unknown> }, { onSuccess: onDone });
  }

  const errors = { ...(save.error instanceof ApiRequestError ? save.error.fields : {}), ...localErrors };
  const all = selection === 'all';
  return (
    <form onSubmit={submit} noValidate aria-label={`${schema.displayName} settings`}>
      <Stack gap="md">
        <Text size="sm" c="dimmed">
          {schema.description}
        </Text>
        <Switch
          label="Apply to all resources"
          description="Also to resources added later"
          checked={all}
          onChange={(e) => {
            if (e.currentTarget.checked) {
              if (Array.isArray(selection)) setLastSome(selection);
              setSelection('all');
            } else setSelection(lastSome.length ? lastSome : resources.slice(0, 1).map(resourceKey));
          }}
        />
        {!all && (
          <MultiSelect
            label="Resources"
            data={resources.map(resourceKey)}
            value={selection}
            onChange={setSelection}
            searchable
            error={errors.resources ?? Object.entries(errors).find(([k]) => k.startsWith('resources['))?.[1]}
          />
        )}
        {schema.phases.length > 1 && (
          <Select
            label="Phase"
            description="Request: before the backend is called. Response: before the answer goes back."
            data={schema.phases.map((p) => ({ value: p, label: p === 'request' ? 'Request' : 'Response' }))}
            value={phase}
            onChange={(v) => setPhase(v ?? phase)}
            allowDeselect={false}
            error={errors.phase}
          />
        )}
        <FieldList fields={fields} path="" labelPrefix="" value={config} onChange={setConfig} errors={errors} />
        {save.error && <ApiErrorAlert error={save.error} title={attachment ? 'The policy was not changed' : 'The policy was not attached'} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending}>
            {attachment ? 'Save changes' : 'Attach'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
