import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { keys } from '../query-keys';
import type { ApiRef } from './queries';

/** Calls `fn`, then refreshes everything this API's pages show (and the organization's API lists). */
export function useApiMutation<T, V>(ref: ApiRef, fn: (vars: V) => Promise<T>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: async () => {
      await Promise.all([
        client.invalidateQueries({ queryKey: keys.api(ref) }),
        client.invalidateQueries({ queryKey: keys.component(ref.org, ref.project, ref.component) }),
        client.invalidateQueries({ queryKey: keys.apis(ref.org) }),
      ]);
    },
  });
}

export const apiPath = (r: ApiRef) => ({ path: { org: r.org, project: r.project, component: r.component } });

export type ImportSource = { document: string } | { url: string };

/** Import from a document's text or a URL; contextPath/version only when the API is not defined yet. */
export function useImportApi(ref: ApiRef) {
  return useApiMutation(ref, (body: ImportSource & { contextPath?: string; version?: string }) =>
    unwrap(api.POST('/api/v1/orgs/{org}/projects/{project}/components/{component}/api/import', { params: apiPath(ref), body })),
  );
}
