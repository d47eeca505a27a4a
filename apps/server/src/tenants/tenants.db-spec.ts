import { useTestServices } from '../../test/support/services';
import { DEFAULT_POLICY, tenantPolicy } from './tenant-policy';
import { TenantsService } from './tenants.service';

describe('tenants on the database', () => {
  const t = useTestServices();
  const tenants = () => t.get(TenantsService);

  it('creates a tenant with the default policy and its two first signing keys, one active and one next', async () => {
    const tenant = await t.given.tenant();
    expect(tenantPolicy(tenant)).toEqual(DEFAULT_POLICY);
    const keys = await t.sql<{ state: string; alg: string }>(
      'SELECT state, alg FROM signing_keys WHERE tenant_id = $1 ORDER BY state',
      [tenant.id],
    );
    expect(keys).toEqual([
      { state: 'active', alg: 'ES256' },
      { state: 'next', alg: 'ES256' },
    ]);
  });

  it('refuses a second tenant with a taken slug, and leaves no half-made tenant behind', async () => {
    const tenant = await t.given.tenant();
    await expect(
      tenants().create({ slug: tenant.slug, name: 'Again', signingAlg: 'ES256' }),
    ).rejects.toMatchObject({ code: 'conflict' });
    expect(await t.sql('SELECT 1 FROM tenants WHERE slug = $1', [tenant.slug])).toHaveLength(1);
  });

  it('changes nothing when an update says what the tenant has, and stores a change once', async () => {
    const tenant = await t.given.tenant();
    expect((await tenants().update(tenant, { name: tenant.name })).changed).toBe(false);
    const { tenant: updated, changed } = await tenants().update(tenant, {
      policy: { accessTokenTtl: '2m' },
      rateLimits: { token: { limit: 10, window: '1m' } },
    });
    expect(changed).toBe(true);
    const [row] = await t.sql<{ access_token_ttl: number; rate_limits: unknown }>(
      'SELECT access_token_ttl, rate_limits FROM tenants WHERE id = $1',
      [tenant.id],
    );
    expect(row.access_token_ttl).toBe(120);
    expect(row.rate_limits).toEqual({ token: { limit: 10, windowSeconds: 60 } });
    // jsonb gave the keys back in its own order: still the same limits
    expect(
      (await tenants().update(updated, { rateLimits: { token: { limit: 10, window: '60s' } } }))
        .changed,
    ).toBe(false);
  });

  it('refuses a policy whose lifetimes contradict and stores nothing of it', async () => {
    const tenant = await t.given.tenant();
    await expect(
      tenants().update(tenant, { policy: { sessionIdleTtl: '400d' } }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
      fields: [expect.objectContaining({ path: ['policy', 'sessionIdleTtl'] })],
    });
    const [row] = await t.sql<{ session_idle_ttl: number }>(
      'SELECT session_idle_ttl FROM tenants WHERE id = $1',
      [tenant.id],
    );
    expect(row.session_idle_ttl).toBe(DEFAULT_POLICY.sessionIdleTtl);
  });

  it('keeps a deleted tenant’s slug reserved', async () => {
    const tenant = await t.given.tenant();
    await t.transaction((em) => tenants().markDeleted(em, tenant));
    expect(await tenants().bySlug(tenant.slug)).toBeNull();
    await expect(
      tenants().create({ slug: tenant.slug, name: 'Squatter', signingAlg: 'ES256' }),
    ).rejects.toMatchObject({ code: 'conflict' });
  });

  it('reads a tenant once for requests that find the cache empty at the same moment', async () => {
    const tenant = await t.given.tenant();
    // each read makes an object of its own: one object for all means one read
    const found = await Promise.all(
      Array.from({ length: 20 }, () => tenants().bySlug(tenant.slug)),
    );
    expect(found[0]?.id).toBe(tenant.id);
    expect(new Set(found).size).toBe(1);
  });
});
