import { useOutletContext } from 'react-router';
import type { ApiDefinition, ApiRef } from './queries';

/** What the API page's tabs receive from its layout. */
export interface ApiPageContext {
  ref: ApiRef;
  displayName: string;
  /** Undefined while the API is not defined yet. */
  definition: ApiDefinition | undefined;
}

export const useApiPage = () => useOutletContext<ApiPageContext>();

/** Where the API's pages are, relative to the organization. */
export const apiPagePath = (r: { project: string; component: string }, tab = '') => `projects/${r.project}/apis/${r.component}${tab ? `/${tab}` : ''}`;
