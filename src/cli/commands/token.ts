import type { Command } from 'commander';
import { CliError, loadProfile } from '../client.js';

const formEncode = (value: string): string => encodeURIComponent(value).replace(/%20/g, '+');

interface Opts {
  clientId: string;
  clientSecret?: string;
  scope?: string;
  url?: string;
  auth: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('token')
    .description('Get an access token from the token service with client credentials (prints the token)')
    .requiredOption('--client-id <id>', 'client ID')
    .option('--client-secret <secret>', 'client secret (or DRAWBRIDGE_CLIENT_SECRET, which keeps it out of shell history)')
    .option('--scope <scopes>', 'space-separated scopes (default: every scope the client may have)')
    .option('--url <url>', "token service base URL or token endpoint (default: the profile's URL)")
    .option('--auth <method>', 'client_secret_basic | client_secret_post', 'client_secret_basic')
    .option('--json', 'print the whole token response as JSON')
    .action(async (opts: Opts) => {
      const secret = opts.clientSecret ?? process.env.DRAWBRIDGE_CLIENT_SECRET;
      if (!secret) throw new CliError('Pass --client-secret or set DRAWBRIDGE_CLIENT_SECRET');
      if (opts.auth !== 'client_secret_basic' && opts.auth !== 'client_secret_post') throw new CliError('--auth must be client_secret_basic or client_secret_post');
      const base = (opts.url ?? loadProfile().url).replace(/\/+$/, '');
      const endpoint = base.endsWith('/oauth2/token') ? base : `${base}/oauth2/token`;
      const params = new URLSearchParams({ grant_type: 'client_credentials' });
      if (opts.scope !== undefined) params.set('scope', opts.scope);
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
      if (opts.auth === 'client_secret_basic') {
        headers.authorization = 'Basic ' + Buffer.from(`${formEncode(opts.clientId)}:${formEncode(secret)}`).toString('base64');
      } else {
        params.set('client_id', opts.clientId);
        params.set('client_secret', secret);
      }
      let res: Response;
      try {
        res = await fetch(endpoint, { method: 'POST', headers, body: params.toString() });
      } catch (error) {
        throw new CliError(`Cannot reach ${endpoint}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`);
      }
      const text = await res.text();
      let body: Record<string, unknown> | undefined;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = undefined;
      }
      if (!res.ok || typeof body?.access_token !== 'string') {
        const reason = body?.error ? `${String(body.error)}: ${String(body.error_description ?? '')}` : `HTTP ${res.status}`;
        throw new CliError(`The token service refused: ${reason}`, res.status, body);
      }
      process.stdout.write(opts.json ? JSON.stringify(body, null, 2) + '\n' : body.access_token + '\n');
    });
}
