import { useState } from 'react';
import { Button, Center, Paper, PasswordInput, Stack, TextInput, Title, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { api, setCsrfToken, unwrap } from '../api/client';
import { ApiErrorAlert } from '../ui/api-error';
import { PageLoader } from '../ui/page-state';
import { useDocumentTitle } from '../ui/page-title';
import { SESSION_KEY, useSessionQuery, type Session } from './session';

/** Only a path of this app: never an absolute URL (no open redirect through ?next=). */
function safeNext(next: string | null, area: 'console' | 'portal'): string {
  return next && /^\/(console|portal)(\/|$)/.test(next) && !next.startsWith('//') ? next : `/${area}/`;
}

export function SignInPage({ area }: { area: 'console' | 'portal' }) {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const session = useSessionQuery();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const next = safeNext(params.get('next'), area);
  useDocumentTitle(['Sign in']);
  const signIn = useMutation({
    // Nothing of the sign-in (the password went in its request) stays in the mutation cache once it settles.
    gcTime: 0,
    mutationFn: () => unwrap(api.POST('/api/v1/auth/login', { body: { username, password } })),
    onSuccess: (signedIn: Session) => {
      setCsrfToken(signedIn.csrfToken);
      queryClient.clear();
      queryClient.setQueryData(SESSION_KEY, signedIn);
      navigate(next, { replace: true });
    },
  });
  if (session.isPending) return <PageLoader label="Checking your session" />;
  if (session.data && !signIn.isPending) return <Navigate to={next} replace />;
  return (
    <Center mih="100vh" bg="var(--mantine-color-gray-0)">
      <Paper withBorder shadow="sm" p="xl" w={380} radius="md">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            signIn.mutate();
          }}
        >
          <Stack>
            <div>
              <Title order={1} size="h2">
                Drawbridge
              </Title>
              <Text c="dimmed">{area === 'portal' ? 'Developer portal' : 'Console'}: sign in</Text>
            </div>
            <TextInput label="Username" description="Your email address, or admin" autoComplete="username" required value={username} onChange={(e) => setUsername(e.currentTarget.value)} autoFocus />
            <PasswordInput label="Password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
            <ApiErrorAlert error={signIn.error} title="Sign-in failed" />
            <Button type="submit" loading={signIn.isPending}>
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
