import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { storeBackends, type TestStore } from '../helpers/stores.js';

describe.each(storeBackends())('audit log on $name', (backend) => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  let t: TestStore;
  beforeAll(async () => {
    t = await backend.open({ clock });
  });
  afterAll(() => t?.close());

  it('lists an organization’s events newest first, with details round-tripped', async () => {
    const org = await t.store.orgs.create({ name: 'Audited', handle: 'audited' });
    await t.store.audit.record({ orgId: org.id, actorId: 'u1', actor: 'alice@example.com', action: 'org.created', targetType: 'organization', targetId: org.id, details: { name: 'Audited', nested: { n: 1, ok: true } } });
    clock.advance(1000);
    await t.store.audit.record({ orgId: org.id, actorId: null, actor: 'system', action: 'environment.added', targetType: 'environment', targetId: null });

    expect(await t.store.audit.list(org.id)).toEqual([
      { id: expect.any(String), orgId: org.id, actor: 'system', actorId: null, action: 'environment.added', targetType: 'environment', targetId: null, details: {}, createdAt: '2026-06-01T00:00:01.000Z' },
      { id: expect.any(String), orgId: org.id, actor: 'alice@example.com', actorId: 'u1', action: 'org.created', targetType: 'organization', targetId: org.id, details: { name: 'Audited', nested: { n: 1, ok: true } }, createdAt: '2026-06-01T00:00:00.000Z' },
    ]);
  });

  it('pages with limit and before', async () => {
    const org = await t.store.orgs.create({ name: 'Paged', handle: 'paged' });
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await t.store.audit.record({ orgId: org.id, actorId: null, actor: 'system', action: `step.${i}`, targetType: 'organization', targetId: org.id });
    }
    const first = await t.store.audit.list(org.id, { limit: 2 });
    expect(first.map((e) => e.action)).toEqual(['step.4', 'step.3']);
    const next = await t.store.audit.list(org.id, { limit: 2, before: first[1]!.createdAt });
    expect(next.map((e) => e.action)).toEqual(['step.2', 'step.1']);
  });

  it("never shows one organization's events, or platform events, in another's log", async () => {
    const a = await t.store.orgs.create({ name: 'Org A', handle: 'org-a' });
    const b = await t.store.orgs.create({ name: 'Org B', handle: 'org-b' });
    await t.store.audit.record({ orgId: a.id, actorId: null, actor: 'system', action: 'a.only', targetType: 'organization', targetId: a.id });
    await t.store.audit.record({ orgId: null, actorId: null, actor: 'system', action: 'user.created', targetType: 'user', targetId: 'u' });
    expect((await t.store.audit.list(a.id)).map((e) => e.action)).toEqual(['a.only']);
    expect(await t.store.audit.list(b.id)).toEqual([]);
  });
});
