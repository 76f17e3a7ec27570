import { useQuery } from '@tanstack/react-query';
import { api, unwrap, type ResponseOf } from '../../api/client';
import { keys } from '../query-keys';

export type Member = ResponseOf<'/api/v1/orgs/{org}/members', 'get'>[number];
export type Role = 'admin' | 'developer';

export const ROLES: { value: Role; label: string }[] = [
  { value: 'developer', label: 'developer' },
  { value: 'admin', label: 'admin' },
];

export function useMembers(org: string) {
  return useQuery({ queryKey: keys.members(org), queryFn: () => unwrap(api.GET('/api/v1/orgs/{org}/members', { params: { path: { org } } })) });
}
