import type { Command } from 'commander';
import { ApiClient, CliError, loadProfile } from '../client.js';
import { printObject, printRows } from '../output.js';
import { orgOf, orgPath } from './project.js';

interface Opts {
  org?: string;
  json?: boolean;
}
interface Member extends Record<string, unknown> {
  userId: string;
  email: string;
}

const ROLES = ['admin', 'developer'];

export function register(program: Command): void {
  const member = program.command('member').description('Members of an organization (changes need an admin)');

  member
    .command('list')
    .description('Members and their roles')
    .option('--org <handle>', "organization (default: the profile's)")
    .option('--json', 'JSON output')
    .action(async (opts: Opts) => {
      const profile = loadProfile();
      printRows(await new ApiClient(profile).get<Member[]>(orgPath(orgOf(profile, opts.org), 'members')), ['email', 'name', 'role', 'userId'], !!opts.json);
    });

  member
    .command('add <email>')
    .description('Add a user, or invite a new one (their temporary password is shown once)')
    .option('--role <role>', ROLES.join(' | '), 'developer')
    .option('--name <name>', 'name of a new user')
    .option('--org <handle>', "organization (default: the profile's)")
    .option('--json', 'JSON output')
    .action(async (email: string, opts: Opts & { role: string; name?: string }) => {
      if (!ROLES.includes(opts.role)) throw new CliError(`--role must be one of ${ROLES.join(', ')}`);
      const profile = loadProfile();
      const added = await new ApiClient(profile).post<Member & { temporaryPassword?: string }>(orgPath(orgOf(profile, opts.org), 'members'), {
        email,
        role: opts.role,
        ...(opts.name && { name: opts.name }),
      });
      printObject(added, !!opts.json);
      if (!opts.json && added.temporaryPassword) process.stdout.write('\nThe temporary password is shown only now; pass it to the user securely.\n');
    });

  member
    .command('remove <email-or-id>')
    .description('Remove a member (never the last admin)')
    .option('--org <handle>', "organization (default: the profile's)")
    .option('--json', 'JSON output')
    .action(async (who: string, opts: Opts) => {
      const profile = loadProfile();
      const client = new ApiClient(profile);
      const org = orgOf(profile, opts.org);
      const members = await client.get<Member[]>(orgPath(org, 'members'));
      const found = members.find((m) => m.userId === who || m.email === who.toLowerCase());
      if (!found) throw new CliError(`${who} is not a member of ${org}`);
      await client.delete(orgPath(org, 'members', found.userId));
      if (opts.json) printObject({ removed: found.email, userId: found.userId }, true);
      else process.stdout.write(`Removed ${found.email} from ${org}\n`);
    });
}
