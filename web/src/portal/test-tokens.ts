import { useSyncExternalStore } from 'react';

/**
 * Test tokens the page generated in this visit (Generate Test Token), so Try
 * it can use one without anyone typing it. Memory only: never written to
 * storage, gone on reload; a token is dropped once it expires.
 */
export interface HeldToken {
  token: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** How it was obtained, for the Try it label. */
  grant: 'client_credentials' | 'token_exchange';
  subject: string;
}

const held = new Map<string, HeldToken>();
const listeners = new Set<() => void>();
let version = 0;

const keyOf = (app: string, env: string) => `${app}\n${env}`;

function changed() {
  version++;
  for (const l of listeners) l();
}

export function holdToken(app: string, env: string, token: HeldToken): void {
  held.set(keyOf(app, env), token);
  changed();
}

export function forgetTokens(app: string): void {
  for (const k of [...held.keys()]) if (k.startsWith(`${app}\n`)) held.delete(k);
  changed();
}

function heldToken(app: string, env: string): HeldToken | undefined {
  const t = held.get(keyOf(app, env));
  if (t && t.expiresAt <= Date.now()) {
    held.delete(keyOf(app, env));
    return undefined;
  }
  return t;
}

/** Re-renders when a token is held or forgotten. */
export function useHeldToken(app: string | undefined, env: string | undefined): HeldToken | undefined {
  useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => version,
  );
  return app && env ? heldToken(app, env) : undefined;
}
