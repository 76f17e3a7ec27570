import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * docs/architecture.md, "Habits": a file stays under about 300 lines; a longer
 * one says why in its first line (`// Over 300 lines on purpose: <reason>`).
 * The generated API types (`web/src/api/schema.d.ts`) are exempt.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const LIMIT = 300;
const REASON = /^\/\/ Over 300 lines on purpose: \S.{10,}$/;

function codeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : codeFiles(join(dir, e.name));
    return /\.(ts|tsx|js)$/.test(e.name) && e.name !== 'schema.d.ts' ? [join(dir, e.name)] : [];
  });
}

describe('file size', () => {
  const files = ['src', 'web/src', 'test', 'bench', 'scripts', 'bin'].flatMap((d) => codeFiles(join(ROOT, d)));

  it('finds the code', () => {
    expect(files.length).toBeGreaterThan(300);
  });

  it('keeps every file under 300 lines unless its first line says why', () => {
    const unexplained = files
      .map((file) => ({ file: relative(ROOT, file), lines: readFileSync(file, 'utf8').replace(/\n$/, '').split('\n') }))
      .filter(({ lines }) => lines.length > LIMIT && !REASON.test(lines[0] ?? ''))
      .map(({ file, lines }) => `${file} (${lines.length} lines)`);
    expect(unexplained).toEqual([]);
  });
});
