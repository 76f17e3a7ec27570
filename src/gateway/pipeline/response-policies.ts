import type { Exchange } from '../exchange.js';

/** The resource's response policies in order, before the answer is relayed. */
export function responsePolicies(ex: Exchange): void | Promise<void> {
  const policies = ex.resource.responsePolicies;
  if (policies.length === 0) return;
  return (async () => {
    for (const policy of policies) await policy.handler.onResponse?.(ex);
  })();
}
