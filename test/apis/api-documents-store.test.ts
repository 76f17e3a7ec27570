import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { MAX_API_DOCUMENT_CHARS } from '../../src/store/repos/apis.js';
import { storeBackends, type TestStore } from '../helpers/stores.js';

/** The API repository's imported documents (migration 0008), on every store backend. */
describe.each(storeBackends())('API documents on $name', (backend) => {
  let t: TestStore;
  const clock = new ManualClock(Date.parse('2026-03-01T10:00:00.000Z'));
  let orgId: string;
  let apiId: string;

  beforeAll(async () => {
    t = await backend.open({ clock });
    const org = await t.store.orgs.create({ name: 'Docs', handle: 'docs' });
    orgId = org.id;
    const project = await t.store.projects.create({ orgId, name: 'default', displayName: 'Default', description: '', isDefault: true });
    const component = await t.store.projects.createComponent({ orgId, projectId: project.id, type: 'api-proxy', name: 'pets', displayName: 'Pets', description: '' });
    apiId = component.id;
    await t.store.apis.create({
      id: apiId,
      orgId,
      contextPath: '/pets',
      version: 'v1',
      visibility: 'public',
      lifecycle: 'created',
      resources: [],
      policies: [],
      cors: null,
      limits: null,
      backendUrls: {},
    });
  });
  afterAll(() => t?.close());

  it('keeps a document as given, replaces it, and forgets it', async () => {
    expect(await t.store.apis.document(orgId, apiId)).toBeUndefined();
    const yaml = 'openapi: 3.1.0\ninfo:\n  title: Pets # ünïcode kept\n';
    expect(await t.store.apis.saveDocument({ apiId, orgId, mediaType: 'application/yaml', content: yaml, sourceUrl: null, importedBy: 'a@example.com' })).toEqual({
      apiId,
      orgId,
      mediaType: 'application/yaml',
      content: yaml,
      sourceUrl: null,
      importedBy: 'a@example.com',
      importedAt: '2026-03-01T10:00:00.000Z',
    });
    expect(await t.store.apis.document(orgId, apiId)).toEqual({
      apiId,
      orgId,
      mediaType: 'application/yaml',
      content: yaml,
      sourceUrl: null,
      importedBy: 'a@example.com',
      importedAt: '2026-03-01T10:00:00.000Z',
    });

    clock.advance(60_000);
    await t.store.apis.saveDocument({ apiId, orgId, mediaType: 'application/json', content: '{"openapi":"3.0.3"}', sourceUrl: 'https://specs.example.com/pets.json', importedBy: 'b@example.com' });
    expect(await t.store.apis.document(orgId, apiId)).toEqual({
      apiId,
      orgId,
      mediaType: 'application/json',
      content: '{"openapi":"3.0.3"}',
      sourceUrl: 'https://specs.example.com/pets.json',
      importedBy: 'b@example.com',
      importedAt: '2026-03-01T10:01:00.000Z',
    });
    expect(await t.store.apis.document('another-org', apiId)).toBeUndefined();
    expect(await t.store.apis.deleteDocument('another-org', apiId)).toBe(false);
    expect(await t.store.apis.deleteDocument(orgId, apiId)).toBe(true);
    expect(await t.store.apis.deleteDocument(orgId, apiId)).toBe(false);
    expect(await t.store.apis.document(orgId, apiId)).toBeUndefined();
  });

  it('keeps a document of the largest size and refuses a larger one', async () => {
    const big = `#${'x'.repeat(MAX_API_DOCUMENT_CHARS - 1)}`;
    await t.store.apis.saveDocument({ apiId, orgId, mediaType: 'application/yaml', content: big, sourceUrl: null, importedBy: 'a@example.com' });
    expect((await t.store.apis.document(orgId, apiId))?.content.length).toBe(MAX_API_DOCUMENT_CHARS);
    await expect(t.store.apis.saveDocument({ apiId, orgId, mediaType: 'application/yaml', content: `${big}x`, sourceUrl: null, importedBy: 'a@example.com' })).rejects.toThrow(
      `An API document is at most ${MAX_API_DOCUMENT_CHARS} characters`,
    );
  });

  it('goes with its API when the component is deleted', async () => {
    await t.store.apis.saveDocument({ apiId, orgId, mediaType: 'application/json', content: '{}', sourceUrl: null, importedBy: 'a@example.com' });
    await t.store.projects.deleteComponent(orgId, apiId);
    expect(await t.store.apis.get(orgId, apiId)).toBeUndefined();
    expect(await t.store.apis.document(orgId, apiId)).toBeUndefined();
  });
});
