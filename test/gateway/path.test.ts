import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { normalizeTarget, parsePathTemplate, pathTemplateProblem } from '../../src/gateway/path.js';
import { api, newSigner, rawRequest, snapshot, startBackend, startTestGateway, type Backend, type TestGateway } from './helpers.js';

describe('dot segments with ;parameters', () => {
  it('are refused like dot segments (Tomcat and Spring resolve `..;x` as `..`)', () => {
    for (const target of ['/a/..;/b', '/a/..;jsessionid=1/b', '/a/.;/b', '/a/.;x=y', '/a/%2e%2e;/b', '/a/.%2E;/b', '/a/..%3b/b', '/a/..%3B', '/..;/admin']) {
      expect(normalizeTarget(target), target).toEqual({ ok: false, reason: 'dot segment with parameters in path' });
    }
  });

  it('other segments with ; or dots stay as they were', () => {
    expect(normalizeTarget('/a/b;v=1/c')).toEqual({ ok: true, path: '/a/b;v=1/c', query: '' });
    expect(normalizeTarget('/a/...;x')).toEqual({ ok: true, path: '/a/...;x', query: '' });
    expect(normalizeTarget('/a/..x;y')).toEqual({ ok: true, path: '/a/..x;y', query: '' });
    expect(normalizeTarget('/a/.well-known')).toEqual({ ok: true, path: '/a/.well-known', query: '' });
  });

  it('are refused in resource path templates too', () => {
    expect(() => parsePathTemplate('/a/..;x')).toThrow('segment "..;x": dot segment with parameters in path');
  });

  describe('at the gateway', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    let backend: Backend;
    let gw: TestGateway;
    beforeAll(async () => {
      backend = await startBackend();
      const signer = await newSigner(clock);
      gw = await startTestGateway(
        snapshot(
          [signer.jwk],
          [
            api(backend.url, {
              resources: [
                { method: 'GET', path: '/public/{x}', security: { oauth2: false, scopes: [] }, policies: [] },
                { method: 'GET', path: '/public/{x}/{y}', security: { oauth2: false, scopes: [] }, policies: [] },
              ],
            }),
          ],
        ),
        { clock },
      );
    });
    afterAll(async () => {
      await gw?.close();
      await backend?.close();
    });

    it('answer 400 and never reach the backend', async () => {
      for (const path of ['/acme/orders/v1/public/..;/admin', '/acme/orders/v1/public/%2e%2e;x/admin']) {
        const res = await rawRequest(gw.url, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        expect(res.status, path).toBe(400);
        expect(JSON.parse(res.body)).toEqual({ code: 'bad_request', message: 'The request path was refused: dot segment with parameters in path' });
      }
      expect(backend.requests).toEqual([]);
      const fine = await rawRequest(gw.url, 'GET /acme/orders/v1/public/a;v=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expect(fine.status).toBe(200);
      expect(backend.requests.map((r) => r.url)).toEqual(['/public/a;v=1']);
    });
  });
});

describe('resource path templates', () => {
  it('the gateway compile refuses what the control plane refuses, with the same reason', () => {
    const refused: Record<string, string> = {
      items: 'must start with /',
      '/items/': 'must not end with /',
      '/a//b': 'must not contain empty segments (//)',
      '/items/../admin': 'must not contain . or .. segments',
      '/items/%61': 'segment "%61" is neither a literal nor a {parameter}',
      '/items/"x"': 'segment ""x"" is neither a literal nor a {parameter}',
      '/items/x{id}': 'segment "x{id}" is neither a literal nor a {parameter}',
      '/items/{1d}': 'segment "{1d}" is neither a literal nor a {parameter}',
      '/a/{id}/b/{id}': 'parameter {id} appears twice',
      '/a/..;x': 'segment "..;x": dot segment with parameters in path',
    };
    for (const [template, reason] of Object.entries(refused)) {
      expect(pathTemplateProblem(template), template).toBe(reason);
      expect(() => parsePathTemplate(template), template).toThrow(new Error(reason));
    }
  });

  it('parses what both accept into literal and parameter segments', () => {
    expect(pathTemplateProblem('/')).toBeUndefined();
    expect(parsePathTemplate('/')).toEqual([]);
    expect(parsePathTemplate("/a/...;x/{pet-id}/{pet.id}/!$&'()*+,;=:@-._~")).toEqual([
      { kind: 'static', value: 'a' },
      { kind: 'static', value: '...;x' },
      { kind: 'param', name: 'pet-id' },
      { kind: 'param', name: 'pet.id' },
      { kind: 'static', value: "!$&'()*+,;=:@-._~" },
    ]);
  });
});
