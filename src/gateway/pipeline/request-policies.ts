import type { CompiledResource } from '../compile.js';
import type { Exchange } from '../exchange.js';

/** The resource's request policies in order; synchronous ones cost no promise. */
export function requestPolicies(ex: Exchange): void | Promise<void> {
  const policies = ex.resource.requestPolicies;
  for (let i = 0; i < policies.length; i++) {
    const hook = policies[i]!.handler.onRequest;
    if (!hook) continue;
    const r = hook(ex);
    if (r) return r.then(() => runFrom(policies, i + 1, ex));
  }
}

async function runFrom(policies: CompiledResource['requestPolicies'], start: number, ex: Exchange): Promise<void> {
  for (let i = start; i < policies.length; i++) await policies[i]!.handler.onRequest?.(ex);
}
