import { hostname } from 'node:os';
import type { Command } from 'commander';
import { ApiClient, CliError, loadProfile, saveProfile } from '../client.js';
import { promptSecret } from '../prompt.js';

export function register(program: Command): void {
  program
    .command('login')
    .description('Sign in and store a personal API token for later commands')
    .option('--url <url>', 'control plane URL', undefined)
    .option('-u, --username <username>', 'user name or email', 'admin')
    .option('-p, --password <password>', 'password (prompted when omitted; DRAWBRIDGE_PASSWORD also works)')
    .action(async (opts: { url?: string; username: string; password?: string }) => {
      const profile = loadProfile();
      const url = (opts.url ?? profile.url).replace(/\/+$/, '');
      const password = opts.password ?? process.env.DRAWBRIDGE_PASSWORD ?? (await promptSecret('Password: '));
      const res = await fetch(`${url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: opts.username, password }),
      }).catch((e: Error) => {
        throw new CliError(`Cannot reach ${url}: ${e.message}`);
      });
      const body = (await res.json().catch(() => ({}))) as { message?: string; csrfToken?: string };
      if (!res.ok) throw new CliError(body.message ?? `HTTP ${res.status}`, res.status);
      const cookie = res.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      const client = new ApiClient({ url });
      const session = { cookie, 'x-csrf-token': body.csrfToken ?? '' };
      const token = await client.request<{ token: string }>('POST', '/api/v1/me/tokens', { name: `cli@${hostname()}` }, session);
      await client.request('POST', '/api/v1/auth/logout', {}, session);
      saveProfile({ ...profile, url, token: token.token });
      process.stdout.write(`Signed in to ${url} as ${opts.username}\n`);
    });
}
