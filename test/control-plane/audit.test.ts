import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, signIn, startTestPlatform, type Api, type TestPlatform } from '../helpers/platform.js';

let p: TestPlatform;
let handle: string;
let dev: Api;
const clock = new ManualClock(Date.UTC(2026, 0, 1, 9));
const audit = (query = '') => `/api/v1/orgs/${handle}/audit${query}`;

beforeAll(async () => {
  p = await startTestPlatform({ clock });
  clock.advance(60_000);
  handle = (await p.admin.post('/api/v1/orgs', { name: 'Audit Org' })).body.handle;
  clock.advance(60_000);
  const invited = await p.admin.post(`/api/v1/orgs/${handle}/members`, { email: 'audit-dev@example.com', role: 'developer' });
  dev = await signIn(p.api, 'audit-dev@example.com', invited.body.temporaryPassword);
  clock.advance(60_000);
  await dev.post(`/api/v1/orgs/${handle}/projects`, { name: 'audited' });
});
afterAll(() => p.close());

describe('audit log', () => {
  it('lists who changed what and when, newest first', async () => {
    const res = await p.admin.get(audit());
    expect(res.status).toBe(200);
    expect(res.body.map((e: { action: string; actor: string; createdAt: string }) => [e.action, e.actor, e.createdAt])).toEqual([
      ['project.created', 'audit-dev@example.com', '2026-01-01T09:03:00.000Z'],
      ['member.added', 'admin', '2026-01-01T09:02:00.000Z'],
      ['organization.created', 'admin', '2026-01-01T09:01:00.000Z'],
    ]);
    expect(res.body[0]).toEqual({
      id: expect.any(String), actor: 'audit-dev@example.com', actorId: expect.any(String), action: 'project.created',
      targetType: 'project', targetId: expect.any(String), details: { name: 'audited' }, createdAt: '2026-01-01T09:03:00.000Z',
    });
  });

  it('never contains the temporary password of an invited user', async () => {
    clock.advance(60_000);
    const invited = await p.admin.post(`/api/v1/orgs/${handle}/members`, { email: 'secret-check@example.com', role: 'developer' });
    const res = await p.admin.get(audit());
    expect(res.text).not.toContain(invited.body.temporaryPassword);
    expect(res.body[0]).toMatchObject({ action: 'member.added', details: { email: 'secret-check@example.com', role: 'developer', invited: true } });
  });

  it('pages with limit and before', async () => {
    const first = await p.admin.get(audit('?limit=2'));
    expect(first.body).toHaveLength(2);
    const older = await p.admin.get(audit(`?limit=2&before=${encodeURIComponent('2026-01-01T09:02:30Z')}`));
    expect(older.body.map((e: { action: string }) => e.action)).toEqual(['member.added', 'organization.created']);
  });

  it('refuses limits and timestamps that are not valid with 400', async () => {
    for (const limit of ['0', '501', 'ten', '-1', '1.5']) {
      const res = await p.admin.get(audit(`?limit=${limit}`));
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: 'validation_failed', message: 'Invalid querystring: limit must be a whole number from 1 to 500', fields: { limit: 'must be a whole number from 1 to 500' } });
    }
    const before = await p.admin.get(audit('?before=yesterday'));
    expect(before.status).toBe(400);
    expect(before.body.fields).toEqual({ before: 'must be an ISO-8601 timestamp' });
    const unknown = await p.admin.get(audit('?offset=3'));
    expect(unknown.status).toBe(400);
    expect(unknown.body.fields).toEqual({ offset: 'is not a known property' });
  });

  it('is readable only by admins', async () => {
    const res = await dev.get(audit());
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ code: 'forbidden', message: 'Only organization admins can do this' });
  });

  it('requires authentication', async () => {
    const res = await p.api.get(audit());
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('unauthenticated');
  });
});
