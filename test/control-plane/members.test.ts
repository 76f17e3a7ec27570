import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn, startTestPlatform, type Api, type TestPlatform } from '../helpers/platform.js';

let p: TestPlatform;
let handle: string;
const base = () => `/api/v1/orgs/${handle}/members`;

beforeAll(async () => {
  p = await startTestPlatform();
  handle = (await p.admin.post('/api/v1/orgs', { name: 'Members Inc' })).body.handle;
});
afterAll(() => p.close());

const adminId = async () => (await p.admin.get('/api/v1/me')).body.id as string;

describe('members', () => {
  it('lists the creator as the only admin', async () => {
    const res = await p.admin.get(base());
    expect(res.status).toBe(200);
    expect(res.body).toEqual([{ userId: await adminId(), email: 'admin', name: 'Administrator', role: 'admin', since: expect.any(String) }]);
  });

  it('invites a new user with a temporary password shown once, which signs them in', async () => {
    const res = await p.admin.post(base(), { email: 'Dev.One@Example.com', role: 'developer' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ userId: expect.any(String), email: 'dev.one@example.com', name: 'dev.one', role: 'developer', temporaryPassword: expect.any(String) });
    expect(res.body.temporaryPassword.length).toBeGreaterThanOrEqual(20);
    const dev = await signIn(p.api, 'dev.one@example.com', res.body.temporaryPassword);
    const orgs = await dev.get('/api/v1/orgs');
    expect(orgs.body.map((o: { handle: string; role: string }) => [o.handle, o.role])).toEqual([[handle, 'developer']]);
    const list = await p.admin.get(base());
    expect(JSON.stringify(list.body)).not.toContain(res.body.temporaryPassword);
  });

  it('adds an existing user without a password and with their own name', async () => {
    await p.newUser('existing@example.com');
    const res = await p.admin.post(base(), { email: 'existing@example.com', role: 'admin', name: 'Ignored' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ userId: expect.any(String), email: 'existing@example.com', name: 'existing', role: 'admin' });
  });

  it('uses the given name for an invited user', async () => {
    const res = await p.admin.post(base(), { email: 'named@example.com', role: 'developer', name: 'Named Person' });
    expect(res.status).toBe(201);
    expect(res.body.name).toBe('Named Person');
  });

  it('answers 409 when the user is already a member', async () => {
    const res = await p.admin.post(base(), { email: 'dev.one@example.com', role: 'admin' });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ code: 'conflict', message: 'dev.one@example.com is already a member of this organization', fields: { email: 'is already a member' } });
  });

  it('refuses to invite something that is not an email address', async () => {
    const res = await p.admin.post(base(), { email: 'not-an-email', role: 'developer' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'validation_failed', message: 'No user has that name; to invite someone new, give an email address', fields: { email: 'must be an email address' } });
  });

  it('refuses an unknown role with 400', async () => {
    const res = await p.admin.post(base(), { email: 'x@example.com', role: 'owner' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(Object.keys(res.body.fields)).toEqual(['role']);
  });

  it('changes a role and records who did it', async () => {
    const invited = await p.admin.post(base(), { email: 'promote@example.com', role: 'developer' });
    const res = await p.admin.patch(`${base()}/${invited.body.userId}`, { role: 'admin' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ userId: invited.body.userId, email: 'promote@example.com', name: 'promote', role: 'admin', since: expect.any(String) });
    const audit = await p.admin.get(`/api/v1/orgs/${handle}/audit?limit=1`);
    expect(audit.body[0]).toMatchObject({
      actor: 'admin',
      action: 'member.role-changed',
      targetType: 'user',
      targetId: invited.body.userId,
      details: { email: 'promote@example.com', from: 'developer', to: 'admin' },
    });
  });

  it('answers 404 for role changes and removals of non-members', async () => {
    const outsider = await p.newUser('outsider@example.com');
    const outsiderId = (await outsider.get('/api/v1/me')).body.id;
    expect((await p.admin.patch(`${base()}/${outsiderId}`, { role: 'admin' })).body).toEqual({ code: 'not_found', message: 'Member not found' });
    const del = await p.admin.delete(`${base()}/${outsiderId}`);
    expect(del.status).toBe(404);
    expect(del.body).toEqual({ code: 'not_found', message: 'Member not found' });
  });

  it('removes a member, who then no longer sees the organization', async () => {
    const invited = await p.admin.post(base(), { email: 'leaver@example.com', role: 'developer' });
    const leaver = await signIn(p.api, 'leaver@example.com', invited.body.temporaryPassword);
    const res = await p.admin.delete(`${base()}/${invited.body.userId}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect((await leaver.get(`/api/v1/orgs/${handle}`)).status).toBe(404);
  });
});

describe('the last admin', () => {
  let solo: string;
  let admin: string;
  beforeAll(async () => {
    solo = (await p.admin.post('/api/v1/orgs', { name: 'Solo Admin Org' })).body.handle;
    admin = await adminId();
  });

  it('cannot be demoted', async () => {
    const res = await p.admin.patch(`/api/v1/orgs/${solo}/members/${admin}`, { role: 'developer' });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ code: 'conflict', message: 'An organization needs at least one admin: make another member admin first' });
    expect((await p.admin.get(`/api/v1/orgs/${solo}`)).body.role).toBe('admin');
  });

  it('cannot be removed', async () => {
    const res = await p.admin.delete(`/api/v1/orgs/${solo}/members/${admin}`);
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ code: 'conflict', message: 'An organization needs at least one admin: make another member admin first' });
    expect((await p.admin.get(`/api/v1/orgs/${solo}/members`)).body).toHaveLength(1);
  });

  it('can step down once another admin exists', async () => {
    await p.admin.post(`/api/v1/orgs/${solo}/members`, { email: 'second-admin@example.com', role: 'admin' });
    const res = await p.admin.patch(`/api/v1/orgs/${solo}/members/${admin}`, { role: 'developer' });
    expect(res.status).toBe(200);
    expect(res.body.role).toBe('developer');
  });

  it('is kept even when two admins try to demote each other at once', async () => {
    const org = (await p.admin.post('/api/v1/orgs', { name: 'Race Org' })).body.handle;
    const other = await p.admin.post(`/api/v1/orgs/${org}/members`, { email: 'racer@example.com', role: 'admin' });
    const racer = await signIn(p.api, 'racer@example.com', other.body.temporaryPassword);
    const [a, b] = await Promise.all([
      p.admin.patch(`/api/v1/orgs/${org}/members/${other.body.userId}`, { role: 'developer' }),
      racer.patch(`/api/v1/orgs/${org}/members/${admin}`, { role: 'developer' }),
    ]);
    // Whichever runs second finds itself demoted (403) or the other as last admin (409); never both succeed.
    expect([a.status, b.status].filter((s) => s === 200)).toHaveLength(1);
    expect([403, 409]).toContain(a.status === 200 ? b.status : a.status);
    const members = (await (a.status === 200 ? p.admin : racer).get(`/api/v1/orgs/${org}/members`)).body as { role: string }[];
    expect(members.filter((m) => m.role === 'admin')).toHaveLength(1);
  });
});

describe('who may manage members', () => {
  let dev: Api;
  let devId: string;
  beforeAll(async () => {
    const invited = await p.admin.post(base(), { email: 'plain-dev@example.com', role: 'developer' });
    devId = invited.body.userId;
    dev = await signIn(p.api, 'plain-dev@example.com', invited.body.temporaryPassword);
  });

  it('lets a developer list members', async () => {
    expect((await dev.get(base())).status).toBe(200);
  });

  it('prevents a developer from adding, promoting or removing members', async () => {
    const forbidden = { code: 'forbidden', message: 'Only organization admins can do this' };
    const add = await dev.post(base(), { email: 'friend@example.com', role: 'admin' });
    expect([add.status, add.body]).toEqual([403, forbidden]);
    const promote = await dev.patch(`${base()}/${devId}`, { role: 'admin' });
    expect([promote.status, promote.body]).toEqual([403, forbidden]);
    const remove = await dev.delete(`${base()}/${await adminId()}`);
    expect([remove.status, remove.body]).toEqual([403, forbidden]);
    expect((await p.admin.get(base())).body.find((m: { email: string }) => m.email === 'friend@example.com')).toBeUndefined();
  });
});
