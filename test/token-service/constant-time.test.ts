import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { digestEquals, sha256 } from '../../src/shared/crypto.js';
import { basic, FORM, newConsumer, postForm, startTestPlatform, type Consumer, type TestPlatform } from './fixture.js';

// Every digest comparison client authentication makes goes through this spy (the real function underneath).
vi.mock('../../src/shared/crypto.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/shared/crypto.js')>();
  return { ...actual, digestEquals: vi.fn(actual.digestEquals) };
});

const GRANT = 'grant_type=client_credentials';
const HEX_DIGEST = /^[0-9a-f]{64}$/;
const compare = vi.mocked(digestEquals);

/**
 * Client authentication must do the same work whether or not the client
 * exists: the same number of constant-time comparisons, of equal-length
 * digests, with the presented secret's digest on one side.
 */
describe('client authentication compares in constant time whether the client exists or not', () => {
  let p: TestPlatform;
  let c: Consumer;
  let graced: Consumer & { newSecret: string };
  const clock = new ManualClock(Date.UTC(2026, 2, 1));

  beforeAll(async () => {
    p = await startTestPlatform({ clock });
    c = await newConsumer(p);
    const g = await newConsumer(p, { name: 'Graced' });
    const regen = await p.admin.post(`/api/v1/orgs/${g.org.handle}/applications/${g.appId}/credentials/development/secret`, { gracePeriod: 600 });
    expect(regen.status).toBe(200);
    graced = { ...g, newSecret: regen.body.clientSecret };
  });
  afterAll(() => p.close());
  beforeEach(() => {
    compare.mockClear();
  });

  /** The comparisons one token request made, after checking its status. */
  async function comparisonsOf(status: number, body: string, headers: Record<string, string> = FORM): Promise<[string, string][]> {
    compare.mockClear();
    const res = await postForm(p, '/oauth2/token', body, headers);
    expect(res.status).toBe(status);
    return compare.mock.calls.map(([a, b]) => [a, b]);
  }

  const expectSameWork = (calls: [string, string][], presentedSecret: string) => {
    expect(calls).toHaveLength(2);
    for (const [presented, stored] of calls) {
      expect(presented).toBe(sha256(presentedSecret));
      expect(stored).toMatch(HEX_DIGEST);
      expect(stored).toHaveLength(presented.length);
    }
  };

  it('an unknown client (Basic and post) is compared like a known one', async () => {
    expectSameWork(await comparisonsOf(401, GRANT, { ...FORM, authorization: basic('dbc_nobody', 'dbs_guess') }), 'dbs_guess');
    expectSameWork(await comparisonsOf(401, `${GRANT}&client_id=dbc_nobody&client_secret=dbs_guess`), 'dbs_guess');
  });

  it('an over-long client ID (not even looked up) is still compared', async () => {
    expectSameWork(await comparisonsOf(401, GRANT, { ...FORM, authorization: basic('dbc_' + 'x'.repeat(300), 'dbs_guess') }), 'dbs_guess');
  });

  it('a known client with a wrong secret, and with the right one', async () => {
    expectSameWork(await comparisonsOf(401, GRANT, { ...FORM, authorization: basic(c.clientId, 'dbs_guess') }), 'dbs_guess');
    expectSameWork(await comparisonsOf(200, GRANT, { ...FORM, authorization: basic(c.clientId, c.clientSecret) }), c.clientSecret);
  });

  it('a known client in a grace period: old secret, new secret and a wrong one', async () => {
    expectSameWork(await comparisonsOf(200, GRANT, { ...FORM, authorization: basic(graced.clientId, graced.clientSecret) }), graced.clientSecret);
    expectSameWork(await comparisonsOf(200, GRANT, { ...FORM, authorization: basic(graced.clientId, graced.newSecret) }), graced.newSecret);
    expectSameWork(await comparisonsOf(401, GRANT, { ...FORM, authorization: basic(graced.clientId, 'dbs_guess') }), 'dbs_guess');
  });

  it('the unknown client is compared against a real-looking digest, not against itself', async () => {
    const calls = await comparisonsOf(401, GRANT, { ...FORM, authorization: basic('dbc_nobody', 'dbs_guess') });
    expect(calls).toHaveLength(2);
    for (const [presented, stored] of calls) expect(stored).not.toBe(presented);
  });
});
