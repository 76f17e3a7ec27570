import { Command, CommanderError } from 'commander';
import { ConfigError } from '../shared/errors.js';
import { CliError } from './client.js';
import { register as login } from './commands/login.js';
import { register as org } from './commands/org.js';
import { register as start } from './commands/start.js';
import { register as api } from './commands/api.js';
import { register as subscription } from './commands/subscription.js';
import { register as gateway } from './commands/gateway.js';
import { register as env } from './commands/env.js';
import { register as project } from './commands/project.js';
import { register as component } from './commands/component.js';
import { register as member } from './commands/member.js';
import { register as keys } from './commands/keys.js';
import { register as token } from './commands/token.js';
import { register as app } from './commands/app.js';
import { register as portal } from './commands/portal.js';
import { register as connection } from './commands/connection.js';
import { register as idp } from './commands/idp.js';

const program = new Command('drawbridge').description('Drawbridge: token service, API gateway and control plane').version('0.1.0').exitOverride();

for (const register of [start, login, org, env, project, component, member, api, subscription, gateway, keys, token, app, portal, connection, idp]) register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof CliError || error instanceof ConfigError) {
    process.stderr.write(`Error: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
