import { useState } from 'react';
import { Button, Paper, Stack, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, unwrap } from '../api/client';
import { ApiErrorAlert, fieldError } from '../ui/api-error';
import { nameProblem, slugify } from '../ui/name-check';
import { Page } from '../ui/page';
import { orgsKey } from './orgs';

/** Create an organization: a name, and a handle derived from it (editable). */
export function CreateOrgPage({ area = 'console' }: { area?: 'console' | 'portal' }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [handle, setHandle] = useState<string | null>(null);
  const effectiveHandle = handle ?? slugify(name);
  const handleProblem = nameProblem(effectiveHandle);
  const create = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/orgs', { body: { name: name.trim(), handle: effectiveHandle || undefined } })),
    onSuccess: async (org) => {
      await queryClient.invalidateQueries({ queryKey: orgsKey });
      navigate(`/${area}/o/${org.handle}/`);
    },
  });
  return (
    <Page title="Create an organization" description="An organization holds your projects, APIs, identity providers and members.">
      <Paper withBorder p="lg" maw={520}>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (!handleProblem) create.mutate();
          }}
        >
          <Stack>
            <TextInput
              label="Organization name"
              placeholder="Stark Industries"
              required
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              error={fieldError(create.error, 'name')}
              autoFocus
            />
            <TextInput
              label="Handle"
              description="Used in URLs and gateway paths; it cannot be changed later"
              required
              value={effectiveHandle}
              onChange={(e) => setHandle(e.currentTarget.value)}
              error={handleProblem ?? fieldError(create.error, 'handle')}
            />
            <ApiErrorAlert error={create.error} title="The organization was not created" />
            <Button type="submit" loading={create.isPending} disabled={!name.trim() || !!handleProblem}>
              Create
            </Button>
          </Stack>
        </form>
      </Paper>
    </Page>
  );
}
