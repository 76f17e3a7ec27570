import { createContext, useContext, useEffect, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Navigate, useLocation } from 'react-router';
import { api, ApiRequestError, setCsrfToken, setUnauthenticatedHandler, unwrap, type ResponseOf } from '../api/client';
import { PageLoader } from '../ui/page-state';

export type Session = ResponseOf<'/api/v1/auth/session', 'get'>;

export const SESSION_KEY = ['session'] as const;

const SessionContext = createContext<Session | null>(null);

async function fetchSession(): Promise<Session | null> {
  try {
    const session = await unwrap(api.GET('/api/v1/auth/session'));
    setCsrfToken(session.csrfToken);
    return session;
  } catch (e) {
    if (e instanceof ApiRequestError && (e.status === 401 || e.status === 400)) {
      setCsrfToken(undefined);
      return null;
    }
    throw e;
  }
}

export function useSessionQuery() {
  return useQuery({ queryKey: SESSION_KEY, queryFn: fetchSession, staleTime: Infinity, retry: false });
}

/** The signed-in user's session; only inside <RequireSession>. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside <RequireSession>');
  return session;
}

/**
 * Renders its children for a signed-in user. Without a session (or when any call
 * answers 401, as when the session expired) it goes to sign-in, which brings the
 * user back to the page they were on.
 */
export function RequireSession({ area, children }: { area: 'console' | 'portal'; children: ReactNode }) {
  const queryClient = useQueryClient();
  const location = useLocation();
  const session = useSessionQuery();
  useEffect(() => {
    setUnauthenticatedHandler(() => {
      setCsrfToken(undefined);
      queryClient.setQueryData(SESSION_KEY, null);
    });
  }, [queryClient]);
  if (session.isPending) return <PageLoader label="Checking your session" />;
  if (session.error) throw session.error;
  if (!session.data) {
    const next = location.pathname + location.search;
    return <Navigate to={`/${area}/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <SessionContext.Provider value={session.data}>{children}</SessionContext.Provider>;
}
