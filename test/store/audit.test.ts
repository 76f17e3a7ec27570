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
    await t.store.audit.record({
      orgId: org.id,
      actorId: 'u1',
      actor: 'alice@example.com',
      action: 'org.created',
      targetType: 'organization',
      targetId: org.id,
      details: { name: 'Audited', nested: { n: 1, ok: true } },
    });
    clock.advance(1000);
    await t.store.audit.record({ orgId: org.id, actorId: null, actor: 'system', action: 'environment.added', targetType: 'environment', targetId: null });

    expect(await t.store.audit.list(org.id)).toEqual([
      {
        id: expect.any(String),
        orgId: org.id,
        actor: 'system',
        actorId: null,
        action: 'environment.added',
        targetType: 'environment',
        targetId: null,
        details: {},
        createdAt: '2026-06-01T00:00:01.000Z',
      },
      {
        id: expect.any(String),
        orgId: org.id,
        actor: 'alice@example.com',
        actorId: 'u1',
        action: 'org.created',
        targetType: 'organization',
        targetId: org.id,
        details: { name: 'Audited', nested: { n: 1, ok: true } },
        createdAt: '2026-06-01T00:00:00.000Z',
      },
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

  it('pages through many events of one millisecond with the cursor, each exactly once and in a stable order', async () => {
    const org = await t.store.orgs.create({ name: 'Same Millisecond', handle: 'same-ms' });
    clock.advance(1000);
    const total = 23;
    for (let i = 0; i < total; i++) {
      await t.store.audit.record({ orgId: org.id, actorId: null, actor: 'system', action: `burst.${i}`, targetType: 'organization', targetId: org.id });
    }
    clock.advance(1);
    await t.store.audit.record({ orgId: org.id, actorId: null, actor: 'system', action: 'later', targetType: 'organization', targetId: org.id });

    const everything = await t.store.audit.list(org.id, { limit: 500 });
    expect(everything).toHaveLength(total + 1);
    expect(everything[0]!.action).toBe('later');
    // Ties on createdAt are broken by id, descending: the order is total and repeatable.
    const burst = everything.slice(1);
    expect(new Set(burst.map((e) => e.createdAt)).size).toBe(1);
    expect(burst.map((e) => e.id)).toEqual([...burst.map((e) => e.id)].sort().reverse());

    const seen: string[] = [];
    const pages: number[] = [];
    let page = await t.store.audit.page(org.id, { limit: 5 });
    for (;;) {
      pages.push(page.events.length);
      seen.push(...page.events.map((e) => e.id));
      if (!page.next) break;
      expect(page.next).toEqual({ createdAt: page.events[4]!.createdAt, id: page.events[4]!.id });
      page = await t.store.audit.page(org.id, { limit: 5, after: page.next });
    }
    expect(pages).toEqual([5, 5, 5, 5, 4]);
    expect(seen).toEqual(everything.map((e) => e.id));

    // A page that ends exactly at the last event says there is no next one.
    const exact = await t.store.audit.page(org.id, { limit: total + 1 });
    expect(exact.events).toHaveLength(total + 1);
    expect(exact.next).toBeUndefined();
  });

  it('keeps `before` as documented: strictly older timestamps only', async () => {
    const org = await t.store.orgs.create({ name: 'Before Compat', handle: 'before-compat' });
    clock.advance(1000);
    const edge = new Date(clock.now()).toISOString();
    for (let i = 0; i < 3; i++) await t.store.audit.record({ orgId: org.id, actorId: null, actor: 'system', action: `edge.${i}`, targetType: 'organization', targetId: org.id });
    clock.advance(1000);
    await t.store.audit.record({ orgId: org.id, actorId: null, actor: 'system', action: 'newer', targetType: 'organization', targetId: org.id });
    expect((await t.store.audit.list(org.id, { before: new Date(clock.now()).toISOString() })).map((e) => e.createdAt)).toEqual([edge, edge, edge]);
    expect(await t.store.audit.list(org.id, { before: edge })).toEqual([]);
  });

  it('lists installation-level events (no organization) on their own, with the same paging', async () => {
    clock.advance(1000);
    const org = await t.store.orgs.create({ name: 'Not Installation', handle: 'not-installation' });
    await t.store.audit.record({ orgId: org.id, actorId: null, actor: 'system', action: 'org.event', targetType: 'organization', targetId: org.id });
    for (let i = 0; i < 4; i++) await t.store.audit.record({ orgId: null, actorId: 'u', actor: 'admin', action: `installation.${i}`, targetType: 'user', targetId: 'u' });
    const first = await t.store.audit.installationPage({ limit: 3 });
    expect(first.events.every((e) => e.orgId === null)).toBe(true);
    expect(first.events.map((e) => e.action)).not.toContain('org.event');
    expect(first.next).toBeDefined();
    const rest = await t.store.audit.installationPage({ limit: 500, after: first.next });
    const all = [...first.events, ...rest.events].map((e) => e.action);
    for (let i = 0; i < 4; i++) expect(all.filter((a) => a === `installation.${i}`)).toHaveLength(1);
    expect(all).not.toContain('org.event');
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
