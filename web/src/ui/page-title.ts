import { useEffect } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useParams } from 'react-router';

const APP_NAME = 'Drawbridge';

/** "Consumers · Default project · Acme — Drawbridge": most specific first, empty parts left out. */
function pageTitle(parts: readonly (string | undefined)[]): string {
  const shown = parts.filter((p): p is string => !!p);
  return shown.length ? `${shown.join(' · ')} — ${APP_NAME}` : APP_NAME;
}

/**
 * Sets document.title from `parts` followed by the current organization's name.
 * The organization comes from the organizations already loaded (the shell
 * loads them), so a page outside an organization asks for nothing more.
 */
export function useDocumentTitle(parts: readonly (string | undefined)[]): void {
  const { org } = useParams();
  const queryClient = useQueryClient();
  const orgs = queryClient.getQueryData<{ handle: string; name: string }[]>(['orgs']);
  const orgName = org ? (orgs?.find((o) => o.handle === org)?.name ?? org) : undefined;
  const title = pageTitle([...parts, orgName]);
  useEffect(() => {
    document.title = title;
  }, [title]);
}
