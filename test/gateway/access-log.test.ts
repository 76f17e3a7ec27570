import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { AccessLog, type AccessEntry } from '../../src/gateway/access-log.js';
import { createLogger } from '../../src/shared/logger.js';

function sink() {
  const lines: string[] = [];
  return {
    lines,
    stream: {
      write: (line: string) => {
        lines.push(line);
        return true;
      },
    } as unknown as NodeJS.WritableStream,
  };
}

const ENTRIES: AccessEntry[] = [
  { reqId: '7c1f0e0a-1111-4222-8333-944445555666', method: 'GET', path: '/acme/orders/v1/items/42', status: 200, ms: 1.25, api: '/acme/orders/v1', app: 'app-1', error: undefined },
  { reqId: 'sent-by-client', method: 'POST', path: undefined, status: 400, ms: 0.05, api: undefined, app: undefined, error: 'bad_request' },
  { reqId: 'r', method: 'GET', path: '/a/"quoted"/\u00e9\u2028', status: 499, ms: 12, api: '/a/"quoted"/v1', app: 'a"b', error: 'invalid_token' },
];

describe('access log', () => {
  it('writes the same line pino would for the same fields and bindings', () => {
    const fixedTime = () => ',"time":1700000000000';
    const ours = sink();
    const theirs = sink();
    const access = new AccessLog(pino({ base: undefined, timestamp: fixedTime }, ours.stream).child({ env: 'development' }, { redact: [] }));
    const reference = pino({ base: undefined, timestamp: fixedTime }, theirs.stream).child({ env: 'development' });
    for (const e of ENTRIES) {
      access.write(e);
      reference.info(e, 'request');
    }
    expect(ours.lines).toEqual([]); // queued until the end of this turn of the event loop
    access.flush();
    expect(ours.lines.join('').split(/(?<=\n)/)).toEqual(theirs.lines);
    expect(ours.lines).toHaveLength(1); // one write for the whole batch
    expect(JSON.parse(ours.lines.join('').split('\n')[2]!)).toEqual({
      level: 30,
      time: 1700000000000,
      env: 'development',
      reqId: 'r',
      method: 'GET',
      path: '/a/"quoted"/\u00e9\u2028',
      status: 499,
      ms: 12,
      api: '/a/"quoted"/v1',
      app: 'a"b',
      error: 'invalid_token',
      msg: 'request',
    });
  });

  it('writes nothing when the level is above info, follows level changes, and writes a batch by itself once the loop turns', async () => {
    const out = sink();
    const logger = createLogger('warn', out.stream);
    const access = new AccessLog(logger);
    access.write(ENTRIES[0]!);
    access.flush();
    expect(out.lines).toEqual([]);
    logger.level = 'info';
    access.write(ENTRIES[0]!);
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.lines).toHaveLength(1);
  });

  it('goes through logger.info for a logger with a mixin, so the mixin still applies', () => {
    const out = sink();
    const access = new AccessLog(pino({ base: undefined, mixin: () => ({ node: 'gw-1' }) }, out.stream));
    access.write(ENTRIES[1]!);
    expect(JSON.parse(out.lines[0]!)).toMatchObject({ node: 'gw-1', reqId: 'sent-by-client', status: 400, error: 'bad_request', msg: 'request' });
  });
});
