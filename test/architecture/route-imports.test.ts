import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsOf } from './imports.js';

/**
 * The control plane's shape (docs/architecture.md): each resource's routes
 * call services, never other routes. Only the module that mounts them
 * (`resources/index.ts`) imports a route module.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');
const MOUNT = join(SRC, 'control-plane/resources/index.ts');

const isRouteModule = (file: string) => /(^|-)routes\.ts$/.test(file.split('/').pop()!);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('control-plane route modules', () => {
  const files = sourceFiles(SRC);
  const routes = files.filter(isRouteModule);

  it('are found where the architecture says (one folder per resource)', () => {
    expect(routes.length).toBeGreaterThan(15);
    for (const file of routes) expect(relative(SRC, file)).toMatch(/^control-plane\/resources\/[a-z-]+\/([a-z-]+-)?routes\.ts$/);
  });

  it('never import other route modules; only resources/index.ts mounts them', () => {
    const offending = files.flatMap((file) =>
      file === MOUNT
        ? []
        : importsOf(file)
            .filter(isRouteModule)
            .map((target) => `${relative(ROOT, file)} → ${relative(ROOT, target)}`),
    );
    expect(offending).toEqual([]);
  });

  it('the check sees imports (it would catch one)', () => {
    expect(importsOf(MOUNT).filter(isRouteModule).length).toBe(routes.length);
  });
});
