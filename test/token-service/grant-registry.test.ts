import { describe, expect, it } from 'vitest';
import { InvalidRequest, InvalidScope } from '../../src/shared/oauth-errors.js';
import { parseForm } from '../../src/token-service/form.js';
import { clientCredentialsGrant } from '../../src/token-service/grants/client-credentials.js';
import { GRANT_FACTORIES, GrantRegistry } from '../../src/token-service/grants/index.js';
import type { GrantDeps, GrantFactory } from '../../src/token-service/grants/grant.js';
import { resolveScope } from '../../src/token-service/scope.js';

describe('grant registry', () => {
  const deps = {} as GrantDeps;
  const grant =
    (type: string): GrantFactory =>
    () => ({ type, handle: async () => ({ access_token: 't', token_type: 'Bearer', expires_in: 1 }) });

  it('lists client_credentials among the registered grants', () => {
    expect(GRANT_FACTORIES).toContain(clientCredentialsGrant);
    expect(new GrantRegistry(deps, [clientCredentialsGrant]).types()).toEqual(['client_credentials']);
  });

  it('refuses two grants with the same type at start', () => {
    expect(() => new GrantRegistry(deps, [grant('x'), grant('x')])).toThrow('grant type x registered twice');
  });

  it('finds grants by type and nothing else', () => {
    const registry = new GrantRegistry(deps, [grant('a'), grant('b')]);
    expect(registry.find('b')?.type).toBe('b');
    expect(registry.find('c')).toBeUndefined();
    expect(registry.find('__proto__')).toBeUndefined();
  });
});

describe('strict form parsing', () => {
  it('decodes + as space and percent escapes', () => {
    expect(parseForm('scope=a+b%3Ac&x=%26').get('scope')).toBe('a b:c');
    expect(parseForm('x=%26').get('x')).toBe('&');
  });

  it('treats an empty value as absent (RFC 6749 §3.1)', () => {
    const form = parseForm('scope=&grant_type=client_credentials');
    expect(form.has('scope')).toBe(false);
    expect(() => form.require('scope')).toThrow(InvalidRequest);
  });

  it('refuses repeats, including encoded ones', () => {
    expect(() => parseForm('a=1&%61=2')).toThrow('The a parameter is repeated');
  });

  it('does not echo strange parameter names', () => {
    expect(() => parseForm('%3Cscript%3E=1&%3Cscript%3E=2')).toThrow('The same parameter is repeated');
  });
});

describe('scope model', () => {
  it('grants the whole allowed set when no scope is requested', () => {
    expect(resolveScope(['a', 'b'], undefined)).toBe('a b');
    expect(resolveScope([], undefined)).toBe('');
  });

  it('grants exactly the requested allowed scopes', () => {
    expect(resolveScope(['a', 'b', 'c'], 'c a c')).toBe('c a');
  });

  it('refuses an unknown scope and malformed scope strings', () => {
    expect(() => resolveScope(['a'], 'a b')).toThrow(InvalidScope);
    expect(() => resolveScope(['a'], ' a')).toThrow(InvalidScope);
    expect(() => resolveScope(['a"'], 'a"')).toThrow(InvalidScope);
  });
});
