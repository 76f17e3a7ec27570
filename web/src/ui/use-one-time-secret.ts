import { useCallback, useEffect, useId } from 'react';
import { useMutation, useQueryClient, type UseMutationOptions, type UseMutationResult } from '@tanstack/react-query';

/**
 * A mutation whose result holds a one-time secret (a consumer secret, a
 * temporary password, a token). TanStack Query keeps a finished mutation's
 * data in its mutation cache for gcTime (5 minutes by default), even after
 * reset(); this one is never kept: gcTime 0, and `forget()` resets it and
 * removes it from the mutation cache at once. Call `forget()` when the dialog
 * that shows the secret closes; it also runs on unmount.
 */
export function useOneTimeSecret<TData, TVariables = void>(
  options: Omit<UseMutationOptions<TData, Error, TVariables>, 'gcTime' | 'mutationKey'>,
): UseMutationResult<TData, Error, TVariables> & { forget: () => void } {
  const queryClient = useQueryClient();
  const id = useId();
  const mutationKey = ['one-time-secret', id];
  const mutation = useMutation({ ...options, mutationKey, gcTime: 0 });
  const { reset } = mutation;

  const purge = useCallback(() => {
    const cache = queryClient.getMutationCache();
    for (const m of cache.findAll({ mutationKey: ['one-time-secret', id], exact: true })) {
      if (m.state.status !== 'pending') cache.remove(m);
    }
  }, [queryClient, id]);

  const forget = useCallback(() => {
    reset();
    purge();
  }, [reset, purge]);

  useEffect(() => purge, [purge]);

  return { ...mutation, forget };
}
