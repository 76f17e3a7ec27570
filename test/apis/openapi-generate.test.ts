import { describe, expect, it } from 'vitest';
import { generateOpenApiDocument } from '../../src/control-plane/openapi-generate.js';

/** The pure generator of OpenAPI documents for APIs defined by hand. */
describe('generateOpenApiDocument', () => {
  it('an API without OAuth2 resources has no security scheme; operation ids stay unique', () => {
    expect(
      generateOpenApiDocument({
        title: 'Status',
        version: 'v2',
        tokenUrl: 'https://id.example.com/oauth2/token',
        servers: [{ url: 'https://gw.example.com/acme/status/v2' }],
        resources: [
          { method: 'GET', path: '/', security: { oauth2: false, scopes: [] } },
          { method: 'GET', path: '/a/{b}', security: { oauth2: false, scopes: [] }, summary: 'By b' },
          { method: 'GET', path: '/a/by-b', security: { oauth2: false, scopes: [] } },
        ],
      }),
    ).toEqual({
      openapi: '3.0.3',
      info: { title: 'Status', version: 'v2' },
      servers: [{ url: 'https://gw.example.com/acme/status/v2' }],
      paths: {
        '/': { get: { operationId: 'get', security: [], responses: { default: { description: "The backend's response" } } } },
        '/a/{b}': {
          get: {
            operationId: 'get-a-by-b',
            summary: 'By b',
            parameters: [{ name: 'b', in: 'path', required: true, schema: { type: 'string' } }],
            security: [],
            responses: { default: { description: "The backend's response" } },
          },
        },
        '/a/by-b': { get: { operationId: 'get-a-by-b-2', security: [], responses: { default: { description: "The backend's response" } } } },
      },
    });
  });

  it('an API without resources is a document without paths', () => {
    expect(generateOpenApiDocument({ title: 'Empty', description: 'Nothing yet', version: 'v1', tokenUrl: 'https://x/token', servers: [], resources: [] })).toEqual({
      openapi: '3.0.3',
      info: { title: 'Empty', version: 'v1', description: 'Nothing yet' },
      servers: [],
      paths: {},
    });
  });
});
