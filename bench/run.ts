/**
 * Runs every benchmark in this folder (except this file) one after another,
 * each in its own process so one cannot warm up or slow down the next.
 *
 *   npm run bench        (or: node --import tsx bench/run.ts [name-filter])
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';

const here = import.meta.dirname;
const self = basename(import.meta.filename);
const filter = process.argv[2];
const files = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== self && !f.startsWith('_') && !f.endsWith('.d.ts'))
  .filter((f) => !filter || f.includes(filter))
  .sort();

let failed = 0;
for (const file of files) {
  process.stdout.write(`\n=== bench/${file} ===\n`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(here, file)], { stdio: 'inherit', env: process.env });
  if (run.status !== 0) {
    failed++;
    process.stdout.write(`bench/${file} failed (exit ${run.status ?? run.signal})\n`);
  }
}
process.stdout.write(`\n${files.length - failed} benchmarks ran, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
