import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { BufferedDestination } from '../../src/shared/log-destination.js';
import { createLogger } from '../../src/shared/logger.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drawbridge-log-'));
  dirs.push(dir);
  return join(dir, 'access.log');
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('buffered log destination', () => {
  it('writes every line, whole and in order, once pending lines are flushed', () => {
    const file = tempFile();
    const dest = new BufferedDestination(file, { minLength: 1 << 20 });
    for (let i = 0; i < 1000; i++) dest.write(`{"n":${i},"text":"ünïcödé"}\n`);
    expect(readFileSync(file, 'utf8')).toBe('');
    dest.end();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1000);
    expect(lines.map((l) => (JSON.parse(l) as { n: number }).n)).toEqual([...Array(1000).keys()]);
    expect(JSON.parse(lines[999]!)).toEqual({ n: 999, text: 'ünïcödé' });
  });

  it('writes a full batch asynchronously without waiting for a flush', async () => {
    const file = tempFile();
    const dest = new BufferedDestination(file, { minLength: 64, maxDelayMs: 60_000 });
    for (let i = 0; i < 10; i++) dest.write(`{"line":${i},"pad":"${'x'.repeat(20)}"}\n`);
    await until(() => readFileSync(file, 'utf8').split('\n').length > 5);
    expect(readFileSync(file, 'utf8').split('\n').length).toBeGreaterThan(5);
    dest.end();
    expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(10);
  });

  it('does not keep a lone line in memory longer than maxDelayMs when traffic stops', async () => {
    const file = tempFile();
    const dest = new BufferedDestination(file, { minLength: 1 << 20, maxDelayMs: 20 });
    dest.write('{"only":1}\n');
    await until(() => readFileSync(file, 'utf8') !== '');
    expect(readFileSync(file, 'utf8')).toBe('{"only":1}\n');
    dest.end();
  });

  it('does not lose pending access lines when the process exits (SIGTERM → close → exit)', () => {
    const file = tempFile();
    const module = fileURLToPath(new URL('../../src/shared/log-destination.ts', import.meta.url));
    const script = `import { BufferedDestination } from ${JSON.stringify(module)};
      const dest = new BufferedDestination(${JSON.stringify(file)}, { minLength: 1 << 20, maxDelayMs: 60000 });
      for (let i = 0; i < 100; i++) dest.write('{"n":' + i + '}\\n');
      process.exit(0);`;
    execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'ignore' });
    expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(100);
  });

  it('carries pino lines with redaction unchanged', () => {
    const file = tempFile();
    const dest = new BufferedDestination(file);
    const logger = createLogger('info', dest as unknown as NodeJS.WritableStream);
    logger.info({ reqId: 'r-1', status: 200, client: { secret: 's3cr3t' } }, 'request');
    dest.end();
    const line = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, reqId: 'r-1', status: 200, client: { secret: '[redacted]' }, msg: 'request' });
  });
});

describe('buffered log destination under a stalled writer', () => {
  it('keeps memory bounded while a write is in flight: drops lines past maxPending and reports how many', async () => {
    const file = tempFile();
    const dest = new BufferedDestination(file, { minLength: 100, maxPending: 1000, maxDelayMs: 5 });
    const line = (i: number) => `{"n":${i},"pad":"${'x'.repeat(34 - String(i).length)}"}\n`; // 50 units each
    // One synchronous burst: the first batch goes to fs.write, the rest waits in memory until it completes.
    for (let i = 0; i < 100; i++) dest.write(line(i));
    await until(() => readFileSync(file, 'utf8').includes('"dropped"'));
    dest.end();
    const lines = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { n?: number; dropped?: number; level?: number; msg?: string });
    const kept = lines.filter((l) => l.n !== undefined).map((l) => l.n);
    const notice = lines.find((l) => l.dropped !== undefined)!;
    expect(kept).toEqual([...Array(22).keys()]);
    expect(notice).toMatchObject({ level: 40, dropped: 78, msg: 'log lines dropped: the log destination could not keep up' });
  });
});
