import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface CliProfile {
  url: string;
  token?: string;
  org?: string;
}

const profilePath = (): string => process.env.DRAWBRIDGE_CLI_CONFIG ?? join(homedir(), '.config', 'drawbridge', 'cli.json');

export function loadProfile(): CliProfile {
  let saved: Partial<CliProfile> = {};
  try {
    saved = JSON.parse(readFileSync(profilePath(), 'utf8')) as Partial<CliProfile>;
  } catch {
    /* no profile yet */
  }
  return {
    url: (process.env.DRAWBRIDGE_URL ?? saved.url ?? 'http://localhost:9090').replace(/\/+$/, ''),
    token: process.env.DRAWBRIDGE_TOKEN ?? saved.token,
    org: process.env.DRAWBRIDGE_ORG ?? saved.org,
  };
}

export function saveProfile(profile: CliProfile): void {
  const file = profilePath();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(profile, null, 2) + '\n', { mode: 0o600 });
}

/** An error the API answered with; the CLI prints its message and exits non-zero. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

export class ApiClient {
  constructor(readonly profile: CliProfile) {}

  async request<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const h: Record<string, string> = { accept: 'application/json', ...headers };
    if (this.profile.token && !h.authorization) h.authorization = `Bearer ${this.profile.token}`;
    if (body !== undefined) h['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.profile.url + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      throw new CliError(`Cannot reach ${this.profile.url}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (!res.ok) {
      const b = parsed as { message?: string; error_description?: string; error?: string; fields?: Record<string, string> } | undefined;
      const message = b?.message ?? b?.error_description ?? b?.error ?? `HTTP ${res.status}`;
      const fields = b?.fields
        ? '\n' +
          Object.entries(b.fields)
            .map(([k, v]) => `  ${k}: ${v}`)
            .join('\n')
        : '';
      throw new CliError(message + fields, res.status, parsed);
    }
    return parsed as T;
  }

  get = <T = unknown>(path: string) => this.request<T>('GET', path);
  post = <T = unknown>(path: string, body?: unknown) => this.request<T>('POST', path, body ?? {});
  patch = <T = unknown>(path: string, body: unknown) => this.request<T>('PATCH', path, body);
  put = <T = unknown>(path: string, body: unknown) => this.request<T>('PUT', path, body);
  delete = <T = unknown>(path: string) => this.request<T>('DELETE', path);
}
