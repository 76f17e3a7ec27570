import type { Grant, GrantDeps, GrantFactory } from './grant.js';
import { clientCredentialsGrant } from './client-credentials.js';
import { tokenExchangeGrant } from './token-exchange.js';

/**
 * Every grant the token endpoint serves: one module each, one line here.
 * The order does not matter; two grants with the same `type` fail at start.
 */
export const GRANT_FACTORIES: GrantFactory[] = [clientCredentialsGrant, tokenExchangeGrant];

export class GrantRegistry {
  private readonly grants = new Map<string, Grant>();

  constructor(deps: GrantDeps, factories: GrantFactory[] = GRANT_FACTORIES) {
    for (const factory of factories) {
      const grant = factory(deps);
      if (this.grants.has(grant.type)) throw new Error(`grant type ${grant.type} registered twice`);
      this.grants.set(grant.type, grant);
    }
  }

  find(type: string): Grant | undefined {
    return this.grants.get(type);
  }

  types(): string[] {
    return [...this.grants.keys()];
  }
}
