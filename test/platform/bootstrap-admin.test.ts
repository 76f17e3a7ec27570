import { describe, expect, it } from 'vitest';
import { ADMIN_USERNAME, bootstrapAdmin } from '../../src/platform.js';
import { loadConfig } from '../../src/shared/config.js';
import { verifyPassword } from '../../src/shared/crypto.js';
import { storeBackends } from '../helpers/stores.js';

// Several nodes may start at the same moment on one (PostgreSQL) database: each
// sees no users and tries to create the first admin. Exactly one must win, the
// others must start normally, and the password the winner printed must work.

describe.each(storeBackends())('the first admin on $name', (backend) => {
  it('is created once when several nodes bootstrap at the same moment; the others report it as already created', async () => {
    const t = await backend.open();
    try {
      const config = loadConfig({});
      const results = await Promise.all([1, 2, 3, 4].map(() => bootstrapAdmin(t.store, config)));
      const created = results.filter((r) => r.created);
      expect(created).toEqual([{ created: true, password: expect.any(String) }]);
      expect(results.filter((r) => !r.created)).toEqual([{ created: false }, { created: false }, { created: false }]);

      expect(await t.store.users.count()).toBe(1);
      const admin = await t.store.users.credentialsByEmail(ADMIN_USERNAME);
      expect(await verifyPassword(created[0]!.password!, admin!.passwordHash)).toBe(true);

      expect(await bootstrapAdmin(t.store, config)).toEqual({ created: false });
    } finally {
      await t.close();
    }
  });
});
