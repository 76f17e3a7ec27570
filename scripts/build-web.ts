// Builds the web console and portal (web/ → web/dist) with Vite and prints the size of the
// JavaScript a first visit loads, gzipped. `--if-stale` skips the build when web/dist is
// newer than every source (npm start and the tests use it, so a fresh clone builds once).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = resolve(import.meta.dirname, '..');
const web = join(root, 'web');
const dist = join(web, 'dist');
const manifestFile = join(dist, '.vite', 'manifest.json');
/** The initial JavaScript must stay under this, gzipped. */
export const INITIAL_JS_BUDGET = 300 * 1024;

function newest(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let t = s.mtimeMs;
  for (const entry of readdirSync(path)) t = Math.max(t, newest(join(path, entry)));
  return t;
}

function isStale(): boolean {
  if (!existsSync(manifestFile)) return true;
  const sources = [join(web, 'src'), join(web, 'index.html'), join(web, 'vite.config.ts'), join(root, 'package-lock.json'), join(root, 'src', 'shared')];
  return Math.max(...sources.filter(existsSync).map(newest)) > statSync(manifestFile).mtimeMs;
}

/** Files a first visit loads: the entry chunk and what it imports statically (not the lazy areas). */
interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
}

export function initialJs(): { files: string[]; gzipped: number } {
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, ManifestChunk>;
  const seen = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const dep of manifest[key].imports ?? []) visit(dep);
  };
  for (const [key, chunk] of Object.entries(manifest)) if (chunk.isEntry) visit(key);
  const files = [...seen].map((key) => manifest[key].file);
  const gzipped = files.reduce((sum, file) => sum + gzipSync(readFileSync(join(dist, file))).length, 0);
  return { files, gzipped };
}

export async function buildWeb({ ifStale = false, quiet = false } = {}): Promise<void> {
  if (ifStale && !isStale()) return;
  const { build } = await import('vite');
  await build({ configFile: join(web, 'vite.config.ts'), logLevel: quiet ? 'warn' : 'info', build: { manifest: true } });
  const { files, gzipped } = initialJs();
  const kb = (gzipped / 1024).toFixed(1);
  process.stdout.write(`web: initial JavaScript ${kb} KB gzipped in ${files.length} file(s) (budget ${INITIAL_JS_BUDGET / 1024} KB)\n`);
  if (gzipped > INITIAL_JS_BUDGET) {
    process.stderr.write(`web: the initial JavaScript is over its budget of ${INITIAL_JS_BUDGET / 1024} KB gzipped\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  await buildWeb({ ifStale: process.argv.includes('--if-stale') });
}
