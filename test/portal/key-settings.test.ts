import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';

// The settings of a consumer's keys are declared once: the portal's keys and the management
// API's credentials of the same application answer a bad value with the same status and body.

let platform: TestPlatform;
let keys: string;
let credentials: string;

beforeAll(async () => {
  platform = await startTestPlatform();
  const org = await platform.admin.post('/api/v1/orgs', { name: `Key Settings ${Date.now()}` });
  const path = `/api/v1/orgs/${org.body.handle}`;
  const app = await platform.admin.post(`${path}/portal/applications`, { name: 'Settings App' });
  expect(app.status).toBe(201);
  keys = `${path}/portal/applications/${app.body.id}/keys`;
  credentials = `${path}/applications/${app.body.id}/credentials`;
});
afterAll(async () => {
  await platform?.close();
});

const SCOPE_RULE = 'must be a scope token (printable ASCII without spaces, quotes or backslashes)';

describe('one answer for bad key settings, in the portal and the management API', () => {
  const cases: [string, Record<string, unknown>, Record<string, string>][] = [
    ['a scope with a space', { scopes: ['orders:read', 'has space'] }, { 'scopes.1': SCOPE_RULE }],
    ['a scope with a quote', { scopes: ['a"b'] }, { 'scopes.0': SCOPE_RULE }],
    ['a repeated scope', { scopes: ['a', 'a'] }, { 'scopes.1': 'is repeated' }],
    ['an unknown grant type', { grantTypes: ['password'] }, { 'grantTypes.0': 'must be one of client_credentials, urn:ietf:params:oauth:grant-type:token-exchange' }],
    ['a repeated grant type', { grantTypes: ['client_credentials', 'client_credentials'] }, { 'grantTypes.1': 'is repeated' }],
  ];
  for (const [name, settings, fields] of cases) {
    it(`${name}: the same 400 on both paths, and no keys made`, async () => {
      const portal = await platform.admin.post(`${keys}/production`, settings);
      const management = await platform.admin.post(`${credentials}/production/keys`, settings);
      expect(portal.status).toBe(400);
      expect(portal.body).toEqual({ code: 'validation_failed', message: expect.stringMatching(/^Invalid credential settings: /), fields });
      expect(management.status).toBe(400);
      expect(management.body).toEqual(portal.body);
      expect((await platform.admin.get(`${keys}/production`)).body.kind).toBeNull();
    });
  }

  it('a scope longer than 128 characters: the same 400 on both paths', async () => {
    const settings = { scopes: ['s'.repeat(129)] };
    const portal = await platform.admin.post(`${keys}/production`, settings);
    const management = await platform.admin.post(`${credentials}/production/keys`, settings);
    expect(portal.status).toBe(400);
    expect(portal.body.fields).toEqual({ 'scopes.0': 'must NOT have more than 128 characters' });
    expect(management.body).toEqual(portal.body);
  });
});
