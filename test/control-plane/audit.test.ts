import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, ManualClock, signIn, startTestPlatform, type Api, type TestPlatform } from '../helpers/platform.js';

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
      id: expect.any(String),
      actor: 'audit-dev@example.com',
      actorId: expect.any(String),
      action: 'project.created',
      targetType: 'project',
      targetId: expect.any(String),
      details: { name: 'audited' },
      createdAt: '2026-01-01T09:03:00.000Z',
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

type Event = { id: string; action: string; actor: string; actorId: string | null; targetType: string; targetId: string | null; details: Record<string, unknown>; createdAt: string };

describe('audit log paging with a cursor', () => {
  let burstHandle: string;
  const burst = 12;
  const path = () => `/api/v1/orgs/${burstHandle}/audit`;

  beforeAll(async () => {
    clock.advance(60_000);
    burstHandle = (await p.admin.post('/api/v1/orgs', { name: 'Audit Burst' })).body.handle;
    clock.advance(60_000);
    // Every one of these is written in the same millisecond: the clock does not move.
    for (let i = 0; i < burst; i++) expect((await p.admin.post(`/api/v1/orgs/${burstHandle}/projects`, { name: `burst-${i}` })).status).toBe(201);
  });

  it('returns every event exactly once when many share a millisecond, following x-next-cursor until it is absent', async () => {
    const all = (await p.admin.get(`${path()}?limit=500`)).body as Event[];
    expect(all.filter((e) => e.action === 'project.created')).toHaveLength(burst);
    expect(new Set(all.filter((e) => e.action === 'project.created').map((e) => e.createdAt)).size).toBe(1);

    const seen: Event[] = [];
    let query = '?limit=5';
    const sizes: number[] = [];
    for (let pages = 0; pages < 10; pages++) {
      const res = await p.admin.get(path() + query);
      expect(res.status).toBe(200);
      sizes.push(res.body.length);
      seen.push(...res.body);
      const next = res.headers.get('x-next-cursor');
      if (!next) {
        expect(res.headers.get('link')).toBeNull();
        break;
      }
      expect(next).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(res.headers.get('link')).toBe(`<${path()}?limit=5&cursor=${next}>; rel="next"`);
      query = `?limit=5&cursor=${next}`;
    }
    expect(seen.map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect(sizes).toEqual([5, 5, 3]); // 12 projects + organization.created
  });

  it('shows why `before` alone cannot page through one millisecond: it skips the rest of the edge millisecond', async () => {
    const first = (await p.admin.get(`${path()}?limit=5`)).body as Event[];
    const older = (await p.admin.get(`${path()}?limit=500&before=${encodeURIComponent(first[4]!.createdAt)}`)).body as Event[];
    expect(older.map((e) => e.action)).toEqual(['organization.created']);
  });

  it('refuses a cursor it did not make, and a cursor together with before, with 400', async () => {
    for (const cursor of ['nonsense', Buffer.from('2026-01-01 x').toString('base64url'), '%2F%2F']) {
      const res = await p.admin.get(`${path()}?cursor=${cursor}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        code: 'validation_failed',
        message: 'Invalid querystring: cursor must be the x-next-cursor value of a previous page',
        fields: { cursor: 'is not a cursor from this API' },
      });
    }
    const next = (await p.admin.get(`${path()}?limit=1`)).headers.get('x-next-cursor')!;
    const both = await p.admin.get(`${path()}?cursor=${next}&before=2026-01-01T00:00:00Z`);
    expect(both.status).toBe(400);
    expect(both.body).toEqual({ code: 'validation_failed', message: 'Invalid querystring: give either cursor or before, not both', fields: { cursor: 'cannot be combined with before' } });
  });
});

describe('installation audit log (GET /admin/audit)', () => {
  const installation = (query = '') => `/api/v1/admin/audit${query}`;

  it('is refused to every user but the installation administrator, organization admins included', async () => {
    const res = await dev.get(installation());
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ code: 'forbidden', message: 'Only the installation administrator can read the installation audit log' });
    const orgAdmin = await p.newUser('audit-org-admin@example.com');
    const own = (await orgAdmin.post('/api/v1/orgs', { name: 'Audit Own Org' })).body.handle;
    expect((await orgAdmin.get(`/api/v1/orgs/${own}/audit`)).status).toBe(200);
    const refused = await orgAdmin.get(installation());
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('forbidden');
    const anonymous = await p.api.get(installation());
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('unauthenticated');
  });

  it('shows the administrator a signing-key rotation, token creation and revocation and a password change, with no secret in any event', async () => {
    clock.advance(60_000);
    const rotated = await p.admin.post('/api/v1/admin/signing-keys/rotate');
    expect(rotated.status).toBe(201);
    clock.advance(1_000);
    const token = await dev.post('/api/v1/me/tokens', { name: 'ci-pipeline' });
    expect(token.status).toBe(201);
    clock.advance(1_000);
    expect((await dev.delete(`/api/v1/me/tokens/${token.body.id}`)).status).toBe(204);
    clock.advance(1_000);
    const me = (await dev.get('/api/v1/me')).body;

    const res = await p.admin.get(installation('?limit=500'));
    expect(res.status).toBe(200);
    const events = res.body as Event[];
    const rotation = events.find((e) => e.action === 'signing_key.rotated');
    expect(rotation).toEqual({
      id: expect.any(String),
      actor: 'admin',
      actorId: expect.any(String),
      action: 'signing_key.rotated',
      targetType: 'signing_key',
      targetId: rotated.body.key.kid,
      details: { alg: rotated.body.key.alg, activatesAt: rotated.body.key.activatesAt, retiring: expect.any(Array) },
      createdAt: expect.any(String),
    });
    expect(events.find((e) => e.action === 'api-token.created' && e.targetId === token.body.id)).toEqual({
      id: expect.any(String),
      actor: 'audit-dev@example.com',
      actorId: me.id,
      action: 'api-token.created',
      targetType: 'api-token',
      targetId: token.body.id,
      details: { name: 'ci-pipeline' },
      createdAt: expect.any(String),
    });
    expect(events.find((e) => e.action === 'api-token.revoked' && e.targetId === token.body.id)).toMatchObject({ actor: 'audit-dev@example.com', details: {} });
    expect(events.find((e) => e.action === 'user.created')).toMatchObject({ actor: 'system', details: { email: 'admin', bootstrap: true } });
    // Newest first; nothing of an organization in here.
    expect(events.map((e) => e.createdAt)).toEqual([...events.map((e) => e.createdAt)].sort().reverse());
    for (const e of events) expect(e.action).not.toMatch(/^(organization|project|member)\./);
    // No secret: not the token, not its hash, not the admin's password, no private key material.
    expect(res.text).not.toContain(token.body.token);
    expect(res.text).not.toContain(createHash('sha256').update(token.body.token).digest('hex'));
    expect(res.text).not.toContain(p.admin.token!);
    expect(res.text).not.toContain(ADMIN_PASSWORD);
    expect(res.text).not.toMatch(/"d"\s*:|privateKey|private_key|dbp_/);
  });

  it('records a password change without the password', async () => {
    const orgHandle = (await p.admin.post('/api/v1/orgs', { name: 'Audit Password Org' })).body.handle;
    const invited = await p.admin.post(`/api/v1/orgs/${orgHandle}/members`, { email: 'audit-pw@example.com', role: 'developer' });
    const user = await signIn(p.api, 'audit-pw@example.com', invited.body.temporaryPassword);
    const newPassword = 'a brand new password of some length';
    clock.advance(1_000);
    expect((await user.post('/api/v1/me/password', { currentPassword: invited.body.temporaryPassword, newPassword })).status).toBe(204);
    const res = await p.admin.get(installation('?limit=5'));
    expect(res.body[0]).toMatchObject({ action: 'user.password.changed', actor: 'audit-pw@example.com', targetType: 'user', details: {} });
    expect(res.text).not.toContain(newPassword);
    expect(res.text).not.toContain(invited.body.temporaryPassword);
  });

  it('pages with the same cursor as the organization log', async () => {
    const all = (await p.admin.get(installation('?limit=500'))).body as Event[];
    expect(all.length).toBeGreaterThan(3);
    const first = await p.admin.get(installation('?limit=2'));
    expect(first.body).toHaveLength(2);
    const next = first.headers.get('x-next-cursor');
    expect(first.headers.get('link')).toBe(`</api/v1/admin/audit?limit=2&cursor=${next}>; rel="next"`);
    const rest = await p.admin.get(installation(`?limit=500&cursor=${next}`));
    expect(rest.headers.get('x-next-cursor')).toBeNull();
    expect([...first.body, ...rest.body].map((e: Event) => e.id)).toEqual(all.map((e) => e.id));
    const bad = await p.admin.get(installation('?limit=0'));
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual({ limit: 'must be a whole number from 1 to 500' });
  });
});
