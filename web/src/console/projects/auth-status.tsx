import { Badge } from '@mantine/core';
import type { Authentication, IdentityProvider } from './queries';

export const BUILTIN_PROVIDER = 'Built-in';

/** The name of the identity provider an environment's keys come from. */
export function providerName(auth: Authentication | undefined, providers: IdentityProvider[] | undefined): string {
  if (auth?.kind !== 'external') return BUILTIN_PROVIDER;
  return providers?.find((p) => p.id === auth.idpId)?.name ?? 'External provider';
}

/** Keys generated, external keys added, or nothing yet. */
export function AuthStatus({ auth }: { auth: Authentication | undefined }) {
  if (auth?.kind === 'external')
    return (
      <Badge color="grape" variant="light">
        External keys
      </Badge>
    );
  if (auth?.keysGenerated)
    return (
      <Badge color="green" variant="light">
        Keys generated
      </Badge>
    );
  return (
    <Badge color="gray" variant="light">
      Not configured
    </Badge>
  );
}

/** The client ID the consumer presents in an environment, if any. */
export const clientIdOf = (auth: Authentication | undefined): string | null => (auth?.kind === 'external' ? auth.externalClientId : auth?.clientId) ?? null;
