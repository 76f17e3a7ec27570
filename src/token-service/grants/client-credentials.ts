import type { GrantFactory } from './grant.js';
import { CLIENT_CREDENTIALS } from './grant-types.js';

/** RFC 6749 §4.4: the client acts on its own behalf; `sub` is its client ID. */
export const clientCredentialsGrant: GrantFactory = () => ({
  type: CLIENT_CREDENTIALS,
  async handle(ctx) {
    const scope = ctx.resolveScope(ctx.params.get('scope'));
    const issued = await ctx.issueAccessToken({ subject: ctx.client.clientId, scope });
    return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, ...(issued.scope !== undefined && { scope: issued.scope }) };
  },
});
