import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsOf } from './imports.js';

/**
 * Which way imports go (docs/architecture.md): shared ← store ← token-service ←
 * control-plane, and shared ← gateway. The gateway knows nothing of the store or
 * the control plane (a gateway-only node runs without either); the control plane
 * reaches the gateway only through its public entry point, `gateway/index.ts`.
 * The CLI and `platform.ts` wire everything and may import anything.
 */

const SRC = resolve(import.meta.dirname, '../../src');
const GATEWAY_ENTRY = join(SRC, 'gateway/index.ts');

const LAYERS: Record<string, readonly string[]> = {
  shared: ['shared'],
  store: ['store', 'shared'],
  gateway: ['gateway', 'shared'],
  'token-service': ['token-service', 'store', 'shared'],
  'control-plane': ['control-plane', 'token-service', 'store', 'shared', 'gateway'],
};

const layerOf = (file: string) => relative(SRC, file).split('/')[0]!;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

function violations(): string[] {
  return sourceFiles(SRC).flatMap((file) => {
    const allowed = LAYERS[layerOf(file)];
    if (!allowed) return [];
    return importsOf(file).flatMap((target) => {
      const layer = layerOf(target);
      if (target.startsWith(SRC) && !allowed.includes(layer)) return [`${relative(SRC, file)} → ${relative(SRC, target)}`];
      if (layerOf(file) !== 'gateway' && layer === 'gateway' && target !== GATEWAY_ENTRY) return [`${relative(SRC, file)} → ${relative(SRC, target)} (use gateway/index.ts)`];
      return [];
    });
  });
}

describe('import direction', () => {
  it("no layer imports one above it, and the control plane uses only the gateway's entry point", () => {
    expect(violations()).toEqual([]);
  });

  it('the check sees imports of each layer (it would catch one)', () => {
    for (const layer of Object.keys(LAYERS)) {
      const files = sourceFiles(join(SRC, layer));
      expect(files.some((f) => importsOf(f).length > 0)).toBe(true);
    }
  });
});
