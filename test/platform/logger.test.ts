import { describe, expect, it } from 'vitest';
import { createLogger, requestChildLogger } from '../../src/shared/logger.js';

function capture() {
  const lines: string[] = [];
  const logger = createLogger('info', {
    write: (line: string) => {
      lines.push(line);
      return true;
    },
  } as unknown as NodeJS.WritableStream);
  return { logger, lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('platform logger', () => {
  it('redacts secrets at the top level of a log object as well as one level down', () => {
    const { logger, lines } = capture();
    logger.info({ password: 'p1', client_secret: 's1', token: 't1', nested: { secret: 's2', access_token: 't2' }, kept: 'visible' }, 'hello');
    expect(lines()).toEqual([
      expect.objectContaining({
        password: '[redacted]',
        client_secret: '[redacted]',
        token: '[redacted]',
        nested: { secret: '[redacted]', access_token: '[redacted]' },
        kept: 'visible',
        msg: 'hello',
      }),
    ]);
  });

  it("the per-request child writes the same line as pino's own child, redaction included", () => {
    const { logger, lines } = capture();
    const ours = requestChildLogger(logger, { reqId: 'req-"7"' }, {});
    const theirs = logger.child({ reqId: 'req-"7"' }, {});
    ours.info({ password: 'p', x: { secret: 's' } }, 'line');
    theirs.info({ password: 'p', x: { secret: 's' } }, 'line');
    const [a, b] = lines().map(({ time: _time, ...rest }) => rest);
    expect(a).toEqual(b);
    expect(a).toEqual({ level: 30, reqId: 'req-"7"', password: '[redacted]', x: { secret: '[redacted]' }, msg: 'line' });
  });

  it("other bindings and options take pino's path (serializers and redaction apply to them)", () => {
    const { logger, lines } = capture();
    requestChildLogger(logger, { reqId: 'req-1', token: 'abc' }, {}).info('x');
    requestChildLogger(logger, { reqId: 'req-2' }, { level: 'warn' }).info('dropped');
    expect(lines()).toEqual([expect.objectContaining({ reqId: 'req-1', token: '[redacted]', msg: 'x' })]);
  });
});

describe('pathForLog', () => {
  it('keeps only the path: no query, no fragment, no scheme, authority or user-info of an absolute-form target', async () => {
    const { pathForLog } = await import('../../src/shared/logger.js');
    expect(pathForLog('/oauth2/token?client_secret=s')).toBe('/oauth2/token');
    expect(pathForLog('http://alice:s3cr3t@host:9090/healthz?x=1')).toBe('/healthz');
    expect(pathForLog('https://host')).toBe('/');
    expect(pathForLog('http://alice:pw@host?token=t')).toBe('/');
    expect(pathForLog('/a#frag')).toBe('/a');
    expect(pathForLog('*')).toBe('*');
    expect(pathForLog(undefined)).toBeUndefined();
  });
});
