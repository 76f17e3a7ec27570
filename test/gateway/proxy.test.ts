// Over 300 lines on purpose: the proxy's forwarding cases share one gateway and one echo backend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { api, closedPort, ENV, metric, newSigner, rawRequest, snapshot, startBackend, startTestGateway, type Backend, type Signer, type TestGateway } from './helpers.js';

const BASE = '/acme/orders/v1';

describe('gateway proxying', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  let backend: Backend;
  let gw: TestGateway;
  let signer: Signer;
  let token: string;

  beforeAll(async () => {
    backend = await startBackend();
    signer = await newSigner(clock);
    token = await signer.sign({ scope: 'orders:read orders:write' });
    const dead = await closedPort();
    const anon = { security: { oauth2: false, scopes: [] }, policies: [] };
    gw = await startTestGateway(
      snapshot(
        [signer.jwk],
        [
          api(backend.url, {
            cors: {
              allowOrigins: ['https://app.example'],
              allowMethods: ['GET', 'POST'],
              allowHeaders: ['authorization', 'content-type'],
              exposeHeaders: ['x-backend'],
              allowCredentials: false,
              maxAgeSeconds: 600,
            },
          }),
          api(`http://127.0.0.1:${dead}`, { id: 'api-dead', contextPath: '/dead', resources: [{ method: 'GET', path: '/x', ...anon }] }),
          api(`${backend.url}/base/`, {
            id: 'api-based',
            contextPath: '/based',
            resources: [
              { method: 'GET', path: '/x/{id}', ...anon },
              { method: 'GET', path: '/', ...anon },
              { method: 'GET', path: '/slow', ...anon },
              { method: 'GET', path: '/slow-body', ...anon },
              { method: 'GET', path: '/reset', ...anon },
              { method: 'GET', path: '/stream', ...anon },
              { method: 'POST', path: '/upload', ...anon },
              { method: 'POST', path: '/count', ...anon },
            ],
          }),
        ],
      ),
      { clock, limits: { headersTimeoutMs: 300, bodyTimeoutMs: 300, maxBodyBytes: 1024 } },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await backend?.close();
  });

  const auth = () => ({ authorization: `Bearer ${token}` });

  it('forwards with X-Forwarded-*, a request ID, and without hop-by-hop or Connection-listed headers', async () => {
    const res = await rawRequest(
      gw.url,
      `GET ${BASE}/items?q=1 HTTP/1.1\r\nHost: gw.example:8080\r\nAuthorization: Bearer ${token}\r\n` +
        'Connection: close, x-drop-me\r\nX-Drop-Me: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Authorization: Basic eA==\r\nX-Forwarded-For: 10.0.0.1\r\nX-Custom: kept\r\n\r\n',
    );
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body).headers;
    expect(seen['x-custom']).toBe('kept');
    expect(seen['x-drop-me']).toBeUndefined();
    expect(seen['keep-alive']).toBeUndefined();
    expect(seen.te).toBeUndefined();
    expect(seen['proxy-authorization']).toBeUndefined();
    expect(seen.authorization).toBeUndefined();
    expect(seen['x-forwarded-for']).toBe('127.0.0.1'); // the peer is no trusted proxy: what it claimed is replaced
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe('gw.example:8080');
    expect(seen.host).toBe(new URL(backend.url).host);
    expect(seen['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-request-id']).toBe(seen['x-request-id']);
    // the backend's own hop-by-hop headers do not reach the consumer
    expect(res.headers['x-backend']).toBe('yes');
    expect(res.headers['x-secret-hop']).toBeUndefined();
    expect(res.headers['keep-alive']).toBeUndefined();
  });

  it('HEAD is served by the GET resource, without a body', async () => {
    const res = await fetch(gw.url + BASE + '/items', { method: 'HEAD', headers: auth() });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-backend')).toBe('yes');
    expect(await res.text()).toBe('');
    expect(backend.requests.at(-1)!.method).toBe('HEAD');
  });

  it('keeps a request ID the consumer sent', async () => {
    const res = await fetch(gw.url + BASE + '/items', { headers: { ...auth(), 'x-request-id': 'trace-abc.123' } });
    expect(res.headers.get('x-request-id')).toBe('trace-abc.123');
    expect(((await res.json()) as any).headers['x-request-id']).toBe('trace-abc.123');
  });

  it('joins the backend base path and the resource path', async () => {
    expect(((await (await fetch(gw.url + '/acme/based/v1/x/7?a=b')).json()) as any).url).toBe('/base/x/7?a=b');
    expect(((await (await fetch(gw.url + '/acme/based/v1')).json()) as any).url).toBe('/base');
  });

  it('streams the response: the first chunk arrives before the backend finishes', async () => {
    let finish!: () => void;
    const finished = new Promise<void>((r) => {
      finish = r;
    });
    backend.routes.set('/base/stream', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first;');
      void finished.then(() => res.end('last'));
    });
    const res = await fetch(gw.url + '/acme/based/v1/stream');
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('first;');
    finish();
    let rest = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toBe('last');
  });

  it('streams the request: the backend gets the first chunk before the consumer sends the next', async () => {
    let firstSeen!: (s: string) => void;
    const seen = new Promise<string>((r) => {
      firstSeen = r;
    });
    backend.routes.set('/base/upload', (req, res) => {
      let total = '';
      req.once('data', (c: Buffer) => firstSeen(c.toString()));
      req.on('data', (c: Buffer) => {
        total += c.toString();
      });
      req.on('end', () => res.end(total));
    });
    let push!: (s: string | null) => void;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        push = (s) => (s === null ? controller.close() : controller.enqueue(new TextEncoder().encode(s)));
      },
    });
    const response = fetch(gw.url + '/acme/based/v1/upload', { method: 'POST', body, duplex: 'half' } as RequestInit);
    push('part-one;');
    expect(await seen).toBe('part-one;');
    push('part-two');
    push(null);
    const res = await response;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('part-one;part-two');
  });

  it('backend too slow to answer → 504 and an upstream error metric', async () => {
    backend.routes.set('/base/slow', () => {
      /* never answers */
    });
    const before = await metric(gw.url, 'drawbridge_gateway_upstream_errors_total', { environment: ENV, api: '/acme/based/v1', kind: 'timeout' });
    const res = await fetch(gw.url + '/acme/based/v1/slow');
    expect(res.status).toBe(504);
    expect(await res.json()).toEqual({ code: 'gateway_timeout', message: 'The backend did not answer in time' });
    expect(await metric(gw.url, 'drawbridge_gateway_upstream_errors_total', { environment: ENV, api: '/acme/based/v1', kind: 'timeout' })).toBe(before + 1);
  });

  it('backend stalls in the middle of its body → the response is cut off', async () => {
    backend.routes.set('/base/slow-body', (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    });
    const res = await fetch(gw.url + '/acme/based/v1/slow-body');
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });

  it('a consumer leaving early is counted as 499 and frees the backend connection', async () => {
    let answered!: () => void;
    const backendDone = new Promise<void>((r) => {
      answered = r;
    });
    let arrived!: () => void;
    const atBackend = new Promise<void>((r) => {
      arrived = r;
    });
    backend.routes.set('/base/x/slowpoke', (_req, res) => {
      arrived();
      setTimeout(() => {
        res.end('late');
        answered();
      }, 100);
    });
    const before = await metric(gw.url, 'drawbridge_gateway_requests_total', { environment: ENV, api: '/acme/based/v1', status: '499' });
    const abort = new AbortController();
    const call = fetch(gw.url + '/acme/based/v1/x/slowpoke', { signal: abort.signal });
    await atBackend;
    abort.abort();
    await expect(call).rejects.toThrow();
    await backendDone;
    await new Promise((r) => setTimeout(r, 50));
    expect(await metric(gw.url, 'drawbridge_gateway_requests_total', { environment: ENV, api: '/acme/based/v1', status: '499' })).toBe(before + 1);
    const next = await fetch(gw.url + '/acme/based/v1/x/fine');
    expect(next.status).toBe(200);
  });

  it('backend refuses the connection → 502', async () => {
    const res = await fetch(gw.url + '/acme/dead/v1/x');
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ code: 'bad_gateway', message: 'The backend refused the connection' });
  });

  it('backend resets the connection → 502', async () => {
    backend.routes.set('/base/reset', (req) => {
      req.socket.destroy();
    });
    const res = await fetch(gw.url + '/acme/based/v1/reset');
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ code: 'bad_gateway', message: 'The backend closed the connection' });
  });

  it('a body over the limit (Content-Length) → 413 without reaching the backend', async () => {
    const count = backend.requests.length;
    const res = await fetch(gw.url + '/acme/based/v1/count', { method: 'POST', body: 'x'.repeat(2000) });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ code: 'payload_too_large', message: 'The request body is larger than the 1024 bytes this API accepts' });
    expect(backend.requests.length).toBe(count);
  });

  it('a chunked body over the limit → 413', async () => {
    backend.routes.set('/base/count', (req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => {
        n += c.length;
      });
      req.on('end', () => res.end(String(n)));
      req.on('error', () => {});
    });
    const body = `${(1500).toString(16)}\r\n${'y'.repeat(1500)}\r\n0\r\n\r\n`;
    const res = await rawRequest(gw.url, `POST /acme/based/v1/count HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body}`);
    expect(res.status).toBe(413);
    const small = await rawRequest(gw.url, `POST /acme/based/v1/count HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n`);
    expect(small.status).toBe(200);
    expect(small.body).toBe('5');
  });

  describe('request smuggling and path confusion are refused', () => {
    const refused = async (target: string, reason: string) => {
      const count = backend.requests.length;
      const res = await rawRequest(gw.url, `GET ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toEqual({ code: 'bad_request', message: `The request path was refused: ${reason}` });
      expect(backend.requests.length).toBe(count);
    };

    it('encoded slash', () => refused(`${BASE}/items%2F..%2Fadmin`, 'encoded slash in path'));
    it('encoded slash, lower case', () => refused(`${BASE}/items%2fx`, 'encoded slash in path'));
    it('encoded backslash', () => refused(`${BASE}/items%5Cx`, 'encoded backslash in path'));
    it('raw backslash', () => refused(`${BASE}/items\\..\\admin`, 'backslash in path'));
    it('dot-dot segment', () => refused(`${BASE}/items/../admin`, 'dot segment in path'));
    it('dot segment', () => refused(`${BASE}/./items`, 'dot segment in path'));
    it('encoded dot-dot segment', () => refused(`${BASE}/items/%2e%2e/admin`, 'dot segment in path'));
    it('encoded NUL', () => refused(`${BASE}/items/a%00b`, 'NUL in path'));
    it('malformed escape', () => refused(`${BASE}/items/%zz`, 'malformed percent-encoding in path'));
    it('absolute-form target', () => refused(`http://evil.test${BASE}/items`, 'request target must be an absolute path'));

    it('encoded unreserved characters are decoded before routing (no scope bypass via %61dmin)', async () => {
      const res = await fetch(gw.url + BASE + '/%61dmin', { headers: auth() });
      expect(res.status).toBe(403); // routed to /admin, which needs orders:admin
    });

    it('repeated slashes are collapsed: what is routed is what is forwarded', async () => {
      const res = await rawRequest(gw.url, `GET //acme//orders/v1//items/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body).url).toBe('/items');
    });

    // Node's parser answers these with a bare 400 before the gateway runs; the gateway checks again anyway.
    it('Transfer-Encoding with Content-Length never reaches the backend', async () => {
      const count = backend.requests.length;
      const res = await rawRequest(
        gw.url,
        `POST /acme/based/v1/count HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\nGET /acme/based/v1/x/smuggled HTTP/1.1\r\nHost: x\r\n\r\n`,
      );
      expect(res.status).toBe(400);
      expect(backend.requests.length).toBe(count);
    });

    it('a transfer coding other than chunked is refused (it would reach the backend undeclared)', async () => {
      const count = backend.requests.length;
      const res = await rawRequest(gw.url, `POST /acme/based/v1/count HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toEqual({ code: 'bad_request', message: 'Only the chunked transfer coding is accepted' });
      expect(backend.requests.length).toBe(count);
    });

    it('two different Content-Length headers never reach the backend', async () => {
      const count = backend.requests.length;
      const res = await rawRequest(gw.url, `POST /acme/based/v1/count HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello!`);
      expect(res.status).toBe(400);
      expect(backend.requests.length).toBe(count);
    });
  });

  describe('CORS', () => {
    it('answers a preflight without a token', async () => {
      const res = await fetch(gw.url + BASE + '/items', {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST');
      expect(res.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
      expect(res.headers.get('access-control-max-age')).toBe('600');
      expect(res.headers.get('vary')).toBe('Origin');
    });

    it('refuses a preflight from an origin not allowed', async () => {
      const res = await fetch(gw.url + BASE + '/items', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
      expect(res.status).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(await res.json()).toEqual({ code: 'forbidden', message: 'Origin https://evil.example is not allowed to call this API' });
    });

    it('adds CORS headers to answers and to errors for allowed origins', async () => {
      const ok = await fetch(gw.url + BASE + '/items', { headers: { ...auth(), origin: 'https://app.example' } });
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(ok.headers.get('access-control-expose-headers')).toBe('x-backend');
      const denied = await fetch(gw.url + BASE + '/items', { headers: { origin: 'https://app.example' } });
      expect(denied.status).toBe(401);
      expect(denied.headers.get('access-control-allow-origin')).toBe('https://app.example');
    });

    it('an API without CORS does not answer preflights', async () => {
      const res = await fetch(gw.url + '/acme/based/v1/x/1', { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' } });
      expect(res.status).toBe(405);
    });
  });
});
