import { Anchor, Breadcrumbs, Stack, Text } from '@mantine/core';
import { Link, useParams } from 'react-router';
import { ApiRequestError } from '../../api/client';
import { useCurrentOrg, useOrgHandle } from '../../orgs/orgs';
import { Page } from '../../ui/page';
import { QueryState } from '../../ui/page-state';
import { IdpDeleteButton } from './idp-delete-button';
import { IdpExplainPanel } from './idp-explain-panel';
import { IdpKeysPanel } from './idp-keys-panel';
import { kindLabel, useIdp } from './idp-queries';
import { IdpSettingsForm } from './idp-settings-form';

/** One identity provider: its settings (read-only for developers), its keys with Test, and Explain a token. */
export function IdpPage() {
  const org = useOrgHandle();
  const name = useParams().idp!;
  const current = useCurrentOrg();
  const idp = useIdp(org, name);
  const back = (
    <Breadcrumbs>
      <Anchor component={Link} to={`/console/o/${org}/settings/identity-providers`}>
        Identity providers
      </Anchor>
      <Text>{name}</Text>
    </Breadcrumbs>
  );
  if (idp.error instanceof ApiRequestError && idp.error.status === 404) {
    return (
      <Stack>
        {back}
        <Page title="Identity provider not found" description={`This organization has no identity provider named "${name}".`}>
          {null}
        </Page>
      </Stack>
    );
  }
  const isAdmin = current?.isAdmin ?? false;
  return (
    <Stack maw={1000}>
      {back}
      <QueryState query={idp} label="identity provider">
        {(p) => (
          <Page title={p.name} documentTitle={[p.name, 'Identity providers']} description={p.description || kindLabel(p.kind)} actions={isAdmin && <IdpDeleteButton name={p.name} />}>
            {current && !isAdmin && (
              <Text c="dimmed" size="sm">
                You are viewing this provider read-only: only admins can change it.
              </Text>
            )}
            {/* Keyed on the last change, so a save elsewhere resets the form to the stored values. */}
            {current && <IdpSettingsForm key={`${p.updatedAt}-${isAdmin}`} idp={p} readOnly={!isAdmin} />}
            <IdpKeysPanel idp={p} canTest={isAdmin} />
            <IdpExplainPanel idp={p} />
          </Page>
        )}
      </QueryState>
    </Stack>
  );
}
