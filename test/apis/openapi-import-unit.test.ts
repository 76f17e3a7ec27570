import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourcesFromOpenApi } from '../../src/control-plane/resources/apis/openapi-import.js';

// The OpenAPI import as a pure function (no platform): document in, resources out.

const doc = (paths: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ openapi: '3.1.0', info: { title: 'Pets', version: '1' }, paths, ...extra });
const refused = (fields: Record<string, string>) => expect.objectContaining({ status: 422, code: 'unprocessable', fields });

describe('resourcesFromOpenApi', () => {
  it('reads operations, summaries and security, and the title', async () => {
    const result = await resourcesFromOpenApi(
      doc(
        {
          '/pets': { get: { summary: 'List pets' }, post: { operationId: 'createPet', security: [{ oauth: ['pets:write'] }] } },
          '/status': { get: { security: [] } },
        },
        { security: [{ oauth: ['pets:read'] }] },
      ),
    );
    expect(result).toEqual({
      title: 'Pets',
      resources: [
        { method: 'GET', path: '/pets', summary: 'List pets', security: { oauth2: true, scopes: ['pets:read'] } },
        { method: 'POST', path: '/pets', summary: 'createPet', security: { oauth2: true, scopes: ['pets:write'] } },
        { method: 'GET', path: '/status', security: { oauth2: false, scopes: [] } },
      ],
    });
  });

  it('reads YAML text and says where it is broken', async () => {
    await expect(resourcesFromOpenApi('openapi: 3.0.0\npaths:\n  /a:\n    get: {}\n')).resolves.toEqual({ resources: [{ method: 'GET', path: '/a', security: { oauth2: true, scopes: [] } }] });
    await expect(resourcesFromOpenApi('openapi: 3.0.0\npaths:\n  /a:\n    get: [1, 2\n')).rejects.toEqual(
      expect.objectContaining({ status: 422, fields: { document: expect.stringMatching(/^line \d+, column \d+: /) } }),
    );
  });

  it('follows a path item $ref inside the document, chains of them too', async () => {
    const input = doc(
      { '/pets': { $ref: '#/components/pathItems/Pets' }, '/pets/{id}': { $ref: '#/x-alias' } },
      { components: { pathItems: { Pets: { get: { summary: 'List pets' } }, Pet: { delete: { security: [] } } } }, 'x-alias': { $ref: '#/components/pathItems/Pet' } },
    );
    const before = JSON.stringify(input);
    await expect(resourcesFromOpenApi(input)).resolves.toEqual({
      title: 'Pets',
      resources: [
        { method: 'GET', path: '/pets', summary: 'List pets', security: { oauth2: true, scopes: [] } },
        { method: 'DELETE', path: '/pets/{id}', security: { oauth2: false, scopes: [] } },
      ],
    });
    expect(JSON.stringify(input)).toBe(before);
  });

  it('follows $refs in YAML text, escaped pointers included', async () => {
    const yaml = 'openapi: 3.1.0\npaths:\n  /a/b:\n    get: {}\n  /c:\n    $ref: "#/paths/~1a~1b"\n';
    const { resources } = await resourcesFromOpenApi(yaml);
    expect(resources.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /a/b', 'GET /c']);
  });

  it('leaves $refs below the path items alone (schemas are not needed, even broken ones)', async () => {
    const { resources } = await resourcesFromOpenApi(doc({ '/pets': { get: { responses: { 200: { $ref: '#/components/responses/Missing' } }, parameters: [{ $ref: 'common.yaml#/Limit' }] } } }));
    expect(resources).toEqual([{ method: 'GET', path: '/pets', security: { oauth2: true, scopes: [] } }]);
  });

  it('refuses a path item $ref that points nowhere, naming it', async () => {
    await expect(resourcesFromOpenApi(doc({ '/pets': { $ref: '#/components/pathItems/Nope' } }))).rejects.toEqual(refused({ 'paths./pets.$ref': 'points to nothing in the document' }));
  });

  it('refuses a circular path item $ref', async () => {
    await expect(resourcesFromOpenApi(doc({ '/pets': { $ref: '#/paths/~1pets' } }))).rejects.toEqual(refused({ 'paths./pets.$ref': 'refers to itself (a circular $ref)' }));
  });

  describe('never reads what a $ref names outside the document', () => {
    let server: Server;
    let requests = 0;
    let dir: string;
    beforeAll(async () => {
      server = createServer((_req, res) => {
        requests += 1;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ get: { summary: 'from the network' } }));
      });
      await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
      dir = mkdtempSync(join(tmpdir(), 'drawbridge-openapi-ref-'));
      writeFileSync(join(dir, 'pets.json'), JSON.stringify({ get: { summary: 'from a file' } }));
    });
    afterAll(async () => {
      await new Promise((closed) => server.close(closed));
      rmSync(dir, { recursive: true, force: true });
    });

    it('a $ref URL is not fetched (no request leaves the server: SSRF)', async () => {
      const { port } = server.address() as { port: number };
      const url = `http://127.0.0.1:${port}/pets.json`;
      await expect(resourcesFromOpenApi(doc({ '/pets': { $ref: url } }))).rejects.toEqual(
        refused({ 'paths./pets.$ref': `refers to another document (${url}); only $refs inside the document (#/…) are followed` }),
      );
      await expect(resourcesFromOpenApi(doc({ '/pets': { get: {} }, '/more': { get: { responses: { 200: { $ref: `${url}#/x` } } } } }))).resolves.toBeDefined();
      expect(requests).toBe(0);
    });

    it('a $ref to a file is not opened (no local file read)', async () => {
      const file = join(dir, 'pets.json');
      for (const ref of [file, `file://${file}`, 'pets.json']) {
        await expect(resourcesFromOpenApi(doc({ '/pets': { $ref: ref } }))).rejects.toEqual(
          refused({ 'paths./pets.$ref': `refers to another document (${ref}); only $refs inside the document (#/…) are followed` }),
        );
      }
    });
  });
});
