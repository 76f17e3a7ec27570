import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { isUniqueViolation } from '../../src/store/index.js';
import { storeBackends, type TestStore } from '../helpers/stores.js';

let seq = 0;
const unique = (prefix: string): string => `${prefix}-${++seq}`;

describe.each(storeBackends())('projects and components on $name', (backend) => {
  const clock = new ManualClock(Date.UTC(2026, 4, 1));
  let t: TestStore;
  beforeAll(async () => {
    t = await backend.open({ clock });
  });
  afterAll(() => t?.close());

  const newOrg = () => t.store.orgs.create({ name: unique('Org'), handle: unique('org') });

  describe('projects', () => {
    it('creates, lists by name, finds, updates and deletes projects', async () => {
      const org = await newOrg();
      const def = await t.store.projects.create({ orgId: org.id, name: 'default', displayName: 'Default', isDefault: true });
      const billing = await t.store.projects.create({ orgId: org.id, name: 'billing', displayName: 'Billing', description: 'Money' });
      expect(def).toEqual({
        id: expect.any(String),
        orgId: org.id,
        name: 'default',
        displayName: 'Default',
        description: '',
        isDefault: true,
        createdAt: '2026-05-01T00:00:00.000Z',
        updatedAt: '2026-05-01T00:00:00.000Z',
      });
      expect(billing.isDefault).toBe(false);
      expect(await t.store.projects.list(org.id)).toEqual([billing, def]);
      expect(await t.store.projects.byName(org.id, 'billing')).toEqual(billing);
      expect(await t.store.projects.byName(org.id, 'nope')).toBeUndefined();

      clock.advance(60_000);
      await t.store.projects.update(org.id, billing.id, { displayName: 'Billing & Invoicing' });
      expect(await t.store.projects.byName(org.id, 'billing')).toEqual({ ...billing, displayName: 'Billing & Invoicing', updatedAt: '2026-05-01T00:01:00.000Z' });

      await t.store.projects.delete(org.id, billing.id);
      expect(await t.store.projects.list(org.id)).toEqual([def]);
    });

    it('keeps project names unique per organization only', async () => {
      const a = await newOrg();
      const b = await newOrg();
      await t.store.projects.create({ orgId: a.id, name: 'shared', displayName: 'A' });
      await t.store.projects.create({ orgId: b.id, name: 'shared', displayName: 'B' });
      const error = await t.store.projects.create({ orgId: a.id, name: 'shared', displayName: 'Again' }).catch((e: unknown) => e);
      expect(isUniqueViolation(error)).toBe(true);
    });

    it("prevents one organization from updating or deleting another's project", async () => {
      const a = await newOrg();
      const b = await newOrg();
      const project = await t.store.projects.create({ orgId: a.id, name: 'mine', displayName: 'Mine' });
      await t.store.projects.update(b.id, project.id, { displayName: 'Hijacked' });
      await t.store.projects.delete(b.id, project.id);
      expect(await t.store.projects.byName(a.id, 'mine')).toEqual(project);
      expect(await t.store.projects.byName(b.id, 'mine')).toBeUndefined();
    });
  });

  describe('components', () => {
    it('creates, counts, filters by type, finds, updates and deletes components', async () => {
      const org = await newOrg();
      const project = await t.store.projects.create({ orgId: org.id, name: 'apps', displayName: 'Apps' });
      const mobile = await t.store.projects.createComponent({ orgId: org.id, projectId: project.id, type: 'external-consumer', name: 'mobile-app', displayName: 'Mobile app' });
      const orders = await t.store.projects.createComponent({ orgId: org.id, projectId: project.id, type: 'api-proxy', name: 'orders-api', displayName: 'Orders API', description: 'Orders' });
      expect(mobile).toEqual({
        id: expect.any(String),
        orgId: org.id,
        projectId: project.id,
        type: 'external-consumer',
        name: 'mobile-app',
        displayName: 'Mobile app',
        description: '',
        createdAt: '2026-05-01T00:01:00.000Z',
        updatedAt: '2026-05-01T00:01:00.000Z',
      });

      expect(await t.store.projects.componentCount(org.id, project.id)).toBe(2);
      expect(await t.store.projects.components(org.id, project.id)).toEqual([mobile, orders]);
      expect(await t.store.projects.components(org.id, project.id, 'api-proxy')).toEqual([orders]);
      expect(await t.store.projects.component(org.id, project.id, 'orders-api')).toEqual(orders);
      expect(await t.store.projects.componentById(org.id, mobile.id)).toEqual(mobile);

      clock.advance(1000);
      await t.store.projects.updateComponent(org.id, orders.id, { description: 'All the orders' });
      expect(await t.store.projects.componentById(org.id, orders.id)).toEqual({ ...orders, description: 'All the orders', updatedAt: '2026-05-01T00:01:01.000Z' });

      await t.store.projects.deleteComponent(org.id, mobile.id);
      expect(await t.store.projects.componentById(org.id, mobile.id)).toBeUndefined();
      expect(await t.store.projects.componentCount(org.id, project.id)).toBe(1);
    });

    it('keeps component names unique per project only', async () => {
      const org = await newOrg();
      const p1 = await t.store.projects.create({ orgId: org.id, name: 'p1', displayName: 'P1' });
      const p2 = await t.store.projects.create({ orgId: org.id, name: 'p2', displayName: 'P2' });
      await t.store.projects.createComponent({ orgId: org.id, projectId: p1.id, type: 'api-proxy', name: 'api', displayName: 'API' });
      await t.store.projects.createComponent({ orgId: org.id, projectId: p2.id, type: 'api-proxy', name: 'api', displayName: 'API' });
      const error = await t.store.projects.createComponent({ orgId: org.id, projectId: p1.id, type: 'external-consumer', name: 'api', displayName: 'Again' }).catch((e: unknown) => e);
      expect(isUniqueViolation(error)).toBe(true);
    });

    it("prevents one organization from reading, changing or deleting another's component", async () => {
      const a = await newOrg();
      const b = await newOrg();
      const project = await t.store.projects.create({ orgId: a.id, name: 'p', displayName: 'P' });
      const component = await t.store.projects.createComponent({ orgId: a.id, projectId: project.id, type: 'api-proxy', name: 'secret-api', displayName: 'Secret' });
      expect(await t.store.projects.componentById(b.id, component.id)).toBeUndefined();
      expect(await t.store.projects.component(b.id, project.id, 'secret-api')).toBeUndefined();
      expect(await t.store.projects.components(b.id, project.id)).toEqual([]);
      expect(await t.store.projects.componentCount(b.id, project.id)).toBe(0);
      await t.store.projects.updateComponent(b.id, component.id, { displayName: 'Hijacked' });
      await t.store.projects.deleteComponent(b.id, component.id);
      expect(await t.store.projects.componentById(a.id, component.id)).toEqual(component);
    });

    it("deletes a project's components with it", async () => {
      const org = await newOrg();
      const project = await t.store.projects.create({ orgId: org.id, name: 'doomed', displayName: 'Doomed' });
      const c = await t.store.projects.createComponent({ orgId: org.id, projectId: project.id, type: 'api-proxy', name: 'api', displayName: 'API' });
      await t.store.projects.delete(org.id, project.id);
      expect(await t.store.projects.componentById(org.id, c.id)).toBeUndefined();
    });
  });
});
