import { randomUUID } from 'node:crypto';
import { useTestServices } from '../../test/support/services';
import { RevocationService } from './revocation.service';

describe('the revocation feed on the database', () => {
  const t = useTestServices();
  const revocation = () => t.get(RevocationService);

  const events = (tenantId: string) =>
    t.sql<{
      id: string;
      type: string;
      family_id: string | null;
      sub: string | null;
      not_before: Date | null;
      expires_at: Date;
    }>(
      'SELECT id, type, family_id, sub, not_before, expires_at FROM revocation_events WHERE tenant_id = $1 ORDER BY id::bigint',
      [tenantId],
    );

  it('writes each revocation as one event of the tenant, in commit order, cut by the database clock', async () => {
    const tenant = await t.given.tenant();
    const families = [randomUUID(), randomUUID(), randomUUID()];
    const [{ now }] = await t.sql<{ now: Date }>('SELECT now() AS now');
    for (const familyId of families)
      await t.transaction((em) =>
        revocation().familyRevoked(em, tenant.id, {
          familyId,
          sid: randomUUID(),
          sub: randomUUID(),
          clientId: 'app',
          reason: 'revoked',
        }),
      );
    const rows = await events(tenant.id);
    expect(rows.map((r) => r.family_id)).toEqual(families);
    for (const r of rows) {
      expect(r.type).toBe('family');
      expect(r.not_before!.getTime()).toBeGreaterThanOrEqual(now.getTime());
      // kept as long as a token issued before the cut can live
      expect(r.expires_at.getTime()).toBeGreaterThan(r.not_before!.getTime());
    }
  });

  it('keeps a family or session event as long as the longest access token the tenant issues, plus the margin, not for the cap', async () => {
    const tenant = await t.given.tenant();
    // a tenant that never shortened a lifetime (access_tokens_live_until is null): the longest
    // lifetime it issues is its own, its applications' or its resource servers', never the cap
    const [{ longest, lowered }] = await t.sql<{ longest: number; lowered: Date | null }>(
      `SELECT GREATEST(t.access_token_ttl,
                (SELECT max(a.access_token_ttl) FROM applications a WHERE a.tenant_id = t.id),
                (SELECT max(r.access_token_ttl) FROM resource_servers r WHERE r.tenant_id = t.id)) AS longest,
              t.access_tokens_live_until AS lowered
       FROM tenants t WHERE t.id = $1`,
      [tenant.id],
    );
    expect(lowered).toBeNull();
    expect(longest).toBeLessThan(3600);
    await t.transaction((em) =>
      revocation().familyRevoked(em, tenant.id, {
        familyId: randomUUID(),
        sid: randomUUID(),
        sub: randomUUID(),
        clientId: 'app',
        reason: 'revoked',
      }),
    );
    await t.transaction((em) =>
      revocation().sessionEnded(em, tenant.id, {
        sid: randomUUID(),
        sub: randomUUID(),
        reason: 'logout',
      }),
    );
    const rows = await events(tenant.id);
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      const keptSeconds = (r.expires_at.getTime() - r.not_before!.getTime()) / 1000;
      // 120 s: the margin for clocks (EVENT_MARGIN_SECONDS); a second either way for the two clocks read
      expect(keptSeconds).toBeGreaterThan(longest + 120 - 2);
      expect(keptSeconds).toBeLessThan(longest + 120 + 2);
    }
  });

  it('writes nothing when the revoking transaction rolls back', async () => {
    const tenant = await t.given.tenant();
    await expect(
      t.transaction(async (em) => {
        await revocation().sessionEnded(em, tenant.id, {
          sid: randomUUID(),
          sub: randomUUID(),
          reason: 'logout',
        });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await events(tenant.id)).toEqual([]);
  });

  it('keeps a revoked access token denied until it would have expired, and no longer', async () => {
    const tenant = await t.given.tenant();
    const exp = Math.floor(Date.now() / 1000) + 300;
    await t.transaction((em) =>
      revocation().accessTokenRevoked(em, tenant.id, {
        jti: randomUUID(),
        sub: 'someone',
        clientId: 'app',
        exp,
      }),
    );
    const [row] = await events(tenant.id);
    expect(row).toMatchObject({ type: 'access_token', not_before: null });
    expect(row.expires_at.getTime()).toBe(exp * 1000);
  });

  it("cuts a client's own tokens after a previous cut, and finds that cut again for a new client with the same id", async () => {
    const tenant = await t.given.tenant();
    const first = await t.transaction(async (em) => {
      await revocation().clientCutOff(em, tenant.id, {
        clientId: 'reused-id',
        issuedAfter: null,
        reason: 'application_deleted',
      });
      return revocation().lastClientCut(em, tenant.id, 'reused-id');
    });
    expect(first).not.toBeNull();
    // a later cut reaches at least the second after the one before
    const ahead = new Date(Date.now() + 60_000);
    await t.transaction((em) =>
      revocation().clientCutOff(em, tenant.id, {
        clientId: 'reused-id',
        issuedAfter: ahead,
        reason: 'tokens_revoked',
      }),
    );
    const [, second] = await events(tenant.id);
    expect(second).toMatchObject({ type: 'user', sub: 'reused-id' });
    expect(second.not_before!.getTime()).toBeGreaterThan(ahead.getTime());
  });
});
