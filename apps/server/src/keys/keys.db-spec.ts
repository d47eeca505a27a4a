import { useTestServices } from '../../test/support/services';
import { KeysService, RotationTooEarlyError } from './keys.service';

describe('signing keys on the database', () => {
  const t = useTestServices();
  const keys = () => t.get(KeysService);

  const states = (tenantId: string) =>
    t.sql<{ kid: string; state: string; publish_until: Date | null }>(
      'SELECT kid, state, publish_until FROM signing_keys WHERE tenant_id = $1 ORDER BY created_at, kid',
      [tenantId],
    );
  const byState = async (tenantId: string, state: string) =>
    (await states(tenantId)).filter((k) => k.state === state);

  it('refuses to activate a next key validators may not have fetched yet, and changes nothing', async () => {
    const tenant = await t.given.tenant();
    const before = await states(tenant.id);
    await expect(keys().rotate(tenant.id, 'ES256', 300)).rejects.toBeInstanceOf(
      RotationTooEarlyError,
    );
    expect(await states(tenant.id)).toEqual(before);
  });

  it('rotates next to active and active to retired, published while its tokens live, with a fresh next', async () => {
    const tenant = await t.given.tenant();
    const [active] = await byState(tenant.id, 'active');
    const [next] = await byState(tenant.id, 'next');
    await keys().rotate(tenant.id, 'ES256', 300, { force: true });
    const [retired] = await byState(tenant.id, 'retired');
    expect(retired.kid).toBe(active.kid);
    expect(retired.publish_until!.getTime()).toBeGreaterThan(Date.now() + 300_000);
    expect((await byState(tenant.id, 'active')).map((k) => k.kid)).toEqual([next.kid]);
    const fresh = await byState(tenant.id, 'next');
    expect(fresh).toHaveLength(1);
    expect(fresh[0].kid).not.toBe(next.kid);
    const published = (await keys().jwks(tenant.id)).keys.map((k) => k.kid);
    expect(published).toEqual(expect.arrayContaining([active.kid, next.kid, fresh[0].kid]));
  });

  it('withdraws a leaked active key: it leaves the JWKS, the next one signs, and the feed names it', async () => {
    const tenant = await t.given.tenant();
    const [active] = await byState(tenant.id, 'active');
    const [next] = await byState(tenant.id, 'next');
    expect(
      await keys().withdraw(tenant.id, active.kid, {
        alg: 'ES256',
        longestTokenTtl: 300,
        by: 'db-spec',
      }),
    ).toBe(true);
    expect((await byState(tenant.id, 'withdrawn')).map((k) => k.kid)).toEqual([active.kid]);
    expect((await byState(tenant.id, 'active')).map((k) => k.kid)).toEqual([next.kid]);
    expect(await byState(tenant.id, 'next')).toHaveLength(1);
    // this instance forgot its cached JWKS and signer at the commit
    expect((await keys().jwks(tenant.id)).keys.map((k) => k.kid)).not.toContain(active.kid);
    expect((await keys().signer(tenant.id)).kid).toBe(next.kid);
    const events = await t.sql(
      `SELECT 1 FROM revocation_events WHERE tenant_id = $1 AND type = 'key' AND kid = $2`,
      [tenant.id, active.kid],
    );
    expect(events).toHaveLength(1);
  });

  it('answers false for a key the tenant does not have', async () => {
    const tenant = await t.given.tenant();
    const other = await t.given.tenant();
    const [foreign] = await byState(other.id, 'active');
    expect(
      await keys().withdraw(tenant.id, foreign.kid, {
        alg: 'ES256',
        longestTokenTtl: 300,
        by: 'db-spec',
      }),
    ).toBe(false);
    expect(await byState(other.id, 'withdrawn')).toEqual([]);
  });

  it('reads a tenant’s keys once for requests that find the cache empty at the same moment', async () => {
    const tenant = await t.given.tenant();
    // each read makes objects of its own: one object for all means one read
    const signers = await Promise.all(Array.from({ length: 20 }, () => keys().signer(tenant.id)));
    expect(new Set(signers).size).toBe(1);
    const verifiers = await Promise.all(
      Array.from({ length: 20 }, () => keys().verificationKey(tenant.id, signers[0].kid)),
    );
    expect(new Set(verifiers.map((v) => v?.key)).size).toBe(1);
  });
});
