import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/drawbridge.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `drawbridge` executable in a child process with only `env`'s
 * DRAWBRIDGE_* variables (the caller's own are dropped, so a developer's
 * profile or token never leaks into a test) and resolves with its exit code
 * and output; it never rejects.
 */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('DRAWBRIDGE_')) childEnv[k] = v;
  Object.assign(childEnv, env);
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { env: childEnv, timeout: 30_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}
